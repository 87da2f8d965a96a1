import Foundation
import Testing
import TriplineCore
import TriplineIO
import TriplineRules
import TriplineSynth

/// Precision, measured: the built-in catalog over a busy organisation's ordinary activity (`SynthConfig
/// .busyOrganisation`: autoscaling, CI pipelines with IAM users and roles, Terraform runs, instances calling AWS from
/// public AWS addresses, Identity Center sessions, backups, an application calling a Bedrock model), with the security menu switched off. High and critical
/// mean "act now", so the target is no such alert at all. The figure is printed for the README.
@Suite struct PrecisionTests {
    static let files = 52  // × 2000 records = 104,000 events

    struct Measure {
        var events = 0
        var alerts: [Finding] = []
        var bySeverity: [Severity: Int] = [:]
    }

    static func measure(files: Int) -> Measure {
        let gen = SynthGenerator(config: .busyOrganisation())
        let engine = Engine(rules: RuleCatalog.builtIn.rules)
        var processor = EventProcessor(engine: engine)
        var findings: [Finding] = []
        var problems: [InputProblem] = []
        var stats = ScanStats()
        var m = Measure()
        for i in 0..<files {
            let info = gen.logFileInfo(index: i)
            let file = gen.logFile(index: i)
            file.withUnsafeBufferPointer { _ = processor.process($0, path: info.key, findings: &findings, problems: &problems, stats: &stats) }
        }
        m.events = stats.records
        #expect(problems.isEmpty, "\(problems)")
        m.alerts = Aggregator(engine: engine).aggregate(findings)
        for a in m.alerts { m.bySeverity[a.severity, default: 0] += 1 }
        return m
    }

    @Test("no high or critical alert on 100k+ events of a busy organisation's ordinary activity")
    func busyOrganisation() {
        let m = PrecisionTests.measure(files: PrecisionTests.files)
        #expect(m.events >= 100_000)
        let loud = m.alerts.filter { $0.severity >= .high }
        let perMillion = Double(loud.count) * 1_000_000 / Double(max(1, m.events))
        let counts = [Severity.critical, .high, .medium, .low, .info].map { "\(m.bySeverity[$0, default: 0]) \($0)" }
        print("precision: \(m.events) ordinary events → \(m.alerts.count) alerts (\(counts.joined(separator: ", "))); "
            + "high+ per million events: \(perMillion)")
        for a in loud { Issue.record("\(a.severity) \(a.ruleID): \(a.title) (\(a.count) events)") }
    }

    @Test("the busy menu is really there: its actors and calls appear in the generated events")
    func busyMenuPresent() {
        var gen = SynthGenerator(config: .busyOrganisation(eventsPerFile: 100))
        var out: [UInt8] = []
        for _ in 0..<3000 { gen.nextRecord(into: &out); out.append(0x0A) }
        let text = String(decoding: out, as: UTF8.self)
        for needle in ["user/jenkins-deploy", "AWSServiceRoleForAutoScaling", "\"RunInstances\"", "\"TerminateInstances\"",
                       "assumed-role/platform-terraform/GitHubActions", "AWSReservedSSO_PowerUserAccess", "\"sourceIPAddress\":\"52.",
                       "\"invokedBy\":\"backup.amazonaws.com\"", "\"GetParametersByPath\"", "\"PutBucketPolicy\"", "\"Converse\""] {
            #expect(text.contains(needle), "\(needle)")
        }
        #expect(gen.stats.security == 0)
    }
}
