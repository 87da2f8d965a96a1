import Foundation
import Testing

/// SAM and Terraform stay equivalent: every Terraform variable has its SAM parameter or is Terraform-only for a
/// reason given in docs/deploy.md's configuration table, every parameter that table names exists in the template,
/// and both set the same function environment variables. Pure text checks (no Terraform, no moto): milliseconds.
@Suite("SAM and Terraform parity")
struct TemplateParityTests {
    static func read(_ path: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    static func matches(_ pattern: String, in text: String, options: NSRegularExpression.Options = [.anchorsMatchLines]) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern, options: options)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// `variable "name" {` in the module's variables.tf.
    static func terraformVariables(_ text: String) -> [String] { matches(#"^variable "([a-z0-9_]+)" \{"#, in: text) }

    /// Top-level keys of the template's `Parameters:` section.
    static func samParameters(_ text: String) -> Set<String> {
        guard let start = text.range(of: "\nParameters:\n"), let end = text.range(of: "\n\n", range: start.upperBound..<text.endIndex)
        else { return [] }
        return Set(matches(#"^  ([A-Za-z0-9]+):$"#, in: String(text[start.upperBound..<end.lowerBound])))
    }

    /// The module's variables, in whichever of its top-level `.tf` files they are declared.
    static func moduleText() throws -> String {
        let dir = repositoryRoot.appendingPathComponent("deploy/terraform")
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tf") }.sorted()
            .map { try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
    }

    /// The keys of the Lambda function's `environment { variables = … }` block (a literal map, or a literal map merged
    /// onto `local.destination_environment`), the destinations' `TRIPLINE_DESTINATION_<NAME>` keys included.
    static func terraformEnvironment(_ lambda: String, destinations: String) -> Set<String> {
        guard let start = lambda.range(of: "  environment {\n"), let end = lambda.range(of: "\n    }", range: start.upperBound..<lambda.endIndex)
        else { return [] }
        let block = String(lambda[start.upperBound..<end.lowerBound])
        var names = Set(matches(#"^\s+([A-Z][A-Z0-9_]*)\s+="#, in: block))
        if block.contains("local.destination_environment") {
            // `NAME = { name = … }` or `NAME = merge(` entries of the destinations map (SNS among them).
            for name in matches(#"\b([A-Z][A-Z0-9]*) = (?:\{ name =|merge\()"#, in: destinations, options: []) {
                names.insert("TRIPLINE_DESTINATION_" + name)
            }
        }
        return names
    }

    /// The keys under the SAM function's `Environment: Variables:`.
    static func samEnvironment(_ text: String) -> Set<String> {
        guard let start = text.range(of: "      Environment:\n        Variables:\n") else { return [] }
        var names: Set<String> = []
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("          ") else { break }
            if line.hasPrefix("           ") || line.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }  // a value's lines, a comment
            if let colon = line.firstIndex(of: ":") { names.insert(line[..<colon].trimmingCharacters(in: .whitespaces)) }
        }
        return names
    }

    /// What is wrong between the variables, the parameters and the docs table (empty: nothing).
    static func problems(variables: [String], parameters: Set<String>, docs: String) -> [String] {
        var problems: [String] = []
        var rows: [String: String] = [:]  // variable → SAM column
        var named: Set<String> = []
        for line in docs.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            for v in matches("`([a-z0-9_]+)`", in: cells[1]) {
                if rows[v] != nil { problems.append("\(v): two rows") }
                rows[v] = cells[2]
            }
        }
        for v in variables {
            guard let sam = rows[v] else {
                problems.append("\(v): no row in docs/deploy.md's configuration table")
                continue
            }
            if sam.hasPrefix("Terraform only:") {
                let reason = sam.dropFirst("Terraform only:".count).trimmingCharacters(in: .whitespaces)
                if reason.count < 12 { problems.append("\(v): Terraform only, but without a reason") }
                continue
            }
            let names = matches("`([A-Za-z0-9]+)`", in: sam)
            if names.isEmpty { problems.append("\(v): neither a SAM parameter nor 'Terraform only: <reason>' (\(sam))") }
            for n in names where !parameters.contains(n) { problems.append("\(v): SAM parameter \(n) is not in template-sam.yaml") }
            named.formUnion(names)
        }
        for v in rows.keys where !variables.contains(v) { problems.append("\(v): in the table but not a Terraform variable") }
        for p in parameters.subtracting(named) { problems.append("SAM parameter \(p) has no Terraform variable in the table") }
        return problems.sorted()
    }

    @Test("every Terraform variable has a SAM parameter or a stated reason to be Terraform-only, and every SAM parameter a variable")
    func parameters() throws {
        let variables = Self.terraformVariables(try Self.moduleText())
        let parameters = Self.samParameters(try Self.read("template-sam.yaml"))
        let docs = try Self.read("docs/deploy.md")
        #expect(variables.count >= 50 && variables.contains("poll_regions") && variables.contains("config_location"))
        #expect(parameters.isSuperset(of: ["PollRegions", "ConfigLocation", "ConfigKmsKeyArn", "KmsKeyArn", "ExistingAlertTopicArn"]), "\(parameters.sorted())")
        let problems = Self.problems(variables: variables, parameters: parameters, docs: docs)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")

        // The check itself catches each kind of drift.
        let lost = docs.replacingOccurrences(of: "| `poll_regions` |", with: "| `poll_region` |")
        #expect(Self.problems(variables: variables, parameters: parameters, docs: lost).contains { $0.hasPrefix("poll_regions: no row") })
        #expect(Self.problems(variables: variables, parameters: parameters.subtracting(["PollRegions"]), docs: docs)
            .contains("poll_regions: SAM parameter PollRegions is not in template-sam.yaml"))
        #expect(Self.problems(variables: variables, parameters: parameters.union(["NewKnob"]), docs: docs)
            .contains("SAM parameter NewKnob has no Terraform variable in the table"))
        let reasonless = docs.replacingOccurrences(of: "| `tags` | Terraform only: SAM takes", with: "| `tags` | Terraform only: | x")
        #expect(Self.problems(variables: variables, parameters: parameters, docs: reasonless).contains("tags: Terraform only, but without a reason"))
    }

    @Test("Terraform and SAM set the same function environment variables, which the service reads")
    func environment() throws {
        let terraform = Self.terraformEnvironment(try Self.read("deploy/terraform/lambda.tf"), destinations: try Self.read("deploy/terraform/destinations.tf"))
        let sam = Self.samEnvironment(try Self.read("template-sam.yaml"))
        #expect(terraform.count >= 9 && terraform.isSuperset(of: ["TRIPLINE_POLL_REGIONS", "TRIPLINE_CONFIG", "ALERT_SNS_ARN"]), "\(terraform.sorted())")
        #expect(terraform == sam, "only Terraform: \(terraform.subtracting(sam).sorted()); only SAM: \(sam.subtracting(terraform).sorted())")
        // Every name is one the function reads (a misspelt variable would be ignored silently).
        let service = try Self.read("Sources/TriplineService/Handler.swift") + (try Self.read("Sources/TriplineService/ConfigurationSource.swift"))
        #expect(terraform.isSuperset(of: ["TRIPLINE_DESTINATION_SLACK", "TRIPLINE_DESTINATION_SNS"]), "\(terraform.sorted())")
        for name in terraform where name != "TRIPLINE_ENVIRONMENT" && !name.hasPrefix("TRIPLINE_DESTINATION_") {
            #expect(service.contains("\"\(name)\""), "\(name) is set by the templates but not read by TriplineService")
        }
    }
}
