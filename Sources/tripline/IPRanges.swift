import ArgumentParser
import Foundation
import TriplineAWS
import TriplineCore

/// AWS's published address ranges: the table `|aws_ip` tests against. The binary carries a snapshot; `refresh`
/// downloads the current `ip-ranges.json` into a cache file that every later run prefers.
struct IPRanges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ip-ranges",
        abstract: "AWS's own address ranges (ip-ranges.json), used by rules to tell AWS addresses from the internet.",
        discussion: """
            The cache file is $TRIPLINE_IP_RANGES if set, else $XDG_CACHE_HOME/tripline/aws-ip-ranges.json \
            (~/.cache/tripline/aws-ip-ranges.json). When it exists and reads as ip-ranges.json, every command uses \
            it instead of the snapshot compiled into the binary.
            """,
        subcommands: [Refresh.self, Status.self, Lookup.self, Snapshot.self]
    )

    static let defaultURL = "https://ip-ranges.amazonaws.com/ip-ranges.json"

    /// Where `refresh` writes and every run reads.
    static func cachePath(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["TRIPLINE_IP_RANGES"], !explicit.isEmpty { return explicit }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return base + "/tripline/aws-ip-ranges.json"
    }

    /// Installs the cached table when there is one. A damaged cache is reported and the snapshot kept.
    static func installCache() {
        let path = cachePath()
        guard let data = FileManager.default.contents(atPath: path) else { return }
        do {
            AWSAddressRanges.install(try AWSAddressRanges(ipRangesJSON: Array(data)))
        } catch {
            printError("tripline: warning: ignoring the AWS address cache \(path): \(error); using the built-in snapshot")
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download ip-ranges.json into the cache file (kept unchanged if the download is bad).")
        @Option(help: "Where to download from.") var url = IPRanges.defaultURL
        @Option(help: "Cache file to write (default: see `tripline ip-ranges --help`).") var cache: String?

        func run() async throws {
            let path = cache ?? IPRanges.cachePath()
            let response: HTTPResponse
            do {
                response = try await AsyncHTTPClientTransport.shared.send(
                    HTTPRequest(method: "GET", url: url, timeout: .seconds(60)))
            } catch {
                printError("tripline: could not download \(url): \(error)")
                throw ExitCode(ExitStatus.inputErrors)
            }
            guard response.status == 200 else {
                printError("tripline: \(url) answered HTTP \(response.status); the cache is unchanged")
                throw ExitCode(ExitStatus.inputErrors)
            }
            // Check before replacing: a proxy's error page must not become the table.
            let table: AWSAddressRanges
            do { table = try AWSAddressRanges(ipRangesJSON: response.body) } catch {
                printError("tripline: \(url): \(error); the cache is unchanged")
                throw ExitCode(ExitStatus.inputErrors)
            }
            let target = URL(fileURLWithPath: path)
            do {
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(response.body).write(to: target, options: .atomic)
            } catch {
                printError("tripline: could not write \(path): \(error)")
                throw ExitCode(ExitStatus.inputErrors)
            }
            print("\(path): \(table.count.v4) IPv4 and \(table.count.v6) IPv6 ranges, created \(table.createDate)")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which table is in use, and how old it is.")

        func run() async throws {
            let table = AWSAddressRanges.current
            let path = IPRanges.cachePath()
            let source = FileManager.default.fileExists(atPath: path) && table.createDate != AWSAddressRanges.snapshot.createDate
                ? "cache \(path)" : "built-in snapshot"
            print("\(source): \(table.count.v4) IPv4 and \(table.count.v6) IPv6 ranges, created \(table.createDate)")
        }
    }

    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether each address is inside AWS's ranges.")
        @Argument(help: "IPv4 or IPv6 addresses.") var addresses: [String]

        func run() async throws {
            var bad = false
            for text in addresses {
                guard let address = IPAddress(text) else {
                    printError("tripline: '\(text)' is not an IP address")
                    bad = true
                    continue
                }
                print("\(text)\t\(AWSAddressRanges.current.contains(address) ? "aws" : "outside")")
            }
            if bad { throw ExitCode(ExitStatus.usageOrRules) }
        }
    }

    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the Swift source of the built-in snapshot from an ip-ranges.json file.",
            discussion: "tripline ip-ranges snapshot ip-ranges.json > Sources/TriplineCore/AWSAddressSnapshot.swift")
        @Argument(help: "An ip-ranges.json file.") var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("tripline: cannot read \(file)")
                throw ExitCode(ExitStatus.inputErrors)
            }
            let table = try AWSAddressRanges(ipRangesJSON: Array(data))
            var out = Output()
            out.line("// Generated by `tripline ip-ranges snapshot` from ip-ranges.json (createDate \(table.createDate)): do not edit.")
            out.line("// AWS's published ranges, merged: \(table.count.v4) IPv4 and \(table.count.v6) IPv6 ranges.")
            out.line("enum AWSAddressSnapshot {")
            out.line("    static let createDate = \"\(table.createDate)\"")
            out.line("    static let prefixes = \"\"\"")
            for line in table.prefixLines { out.line("        " + line) }
            out.line("        \"\"\"")
            out.line("}")
            out.flush()
        }
    }
}
