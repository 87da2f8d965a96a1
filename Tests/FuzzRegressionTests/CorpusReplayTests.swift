import Foundation
import Testing
import TriplineFuzzTargets

/// Every committed fuzz input (seed corpus and past crashes, Fuzz/corpus/<target>/ and Fuzz/crashes/<target>/)
/// through the same entry points as the fuzzer, without sanitizers: a crash found once stays fixed in every
/// `swift test`, with or without libFuzzer.
@Suite("Fuzz corpus replay")
struct CorpusReplayTests {
    static let fuzzRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz").standardized

    static func files(_ folder: String, _ target: String) -> [URL] {
        let dir = fuzzRoot.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test("every target has a seed corpus and replays it, past crashes included", arguments: FuzzTargets.all.map(\.name))
    func replay(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = Self.files("corpus", name)
        #expect(seeds.count >= 5, "Fuzz/corpus/\(name) has \(seeds.count) seeds")
        for file in seeds + Self.files("crashes", name) {
            let bytes = try [UInt8](Data(contentsOf: file))
            do {
                try bytes.withUnsafeBufferPointer { try target.run($0) }
            } catch {
                Issue.record("\(name) \(file.lastPathComponent): \(error)")
            }
        }
    }

    @Test("the driver and scripts/fuzz know the same targets")
    func targetsListed() throws {
        let script = try String(contentsOf: Self.fuzzRoot.appendingPathComponent("../scripts/fuzz").standardized, encoding: .utf8)
        for target in FuzzTargets.all {
            #expect(script.contains(target.name), "scripts/fuzz does not mention \(target.name)")
        }
    }
}
