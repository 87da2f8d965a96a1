import Foundation
import Testing
import TriplineJSON

/// Tuning from the configuration file and Sigma filters, through the built binary: what is suppressed is counted
/// and listable, never silently gone.
@Suite("tripline config and tuning")
struct ConfigCLITests {
    static let config = """
        accounts:
          "123456789012": production
        lists:
          retired_trails: [legacy-trail, old-*]
        tuning:
          rules:
            - rule: tripline.cloudtrail.trail-config-changed
              severity: low
              reason: the high rule covers what matters here
        """

    /// A Sigma filter file: the decommissioned trails may be deleted.
    static let filter = """
        title: Retired trails may go
        id: 9a3f1f7e-4b1e-4c55-9a52-0d0c7c1d2b3a
        description: Trails on the retirement list are deleted on purpose.
        logsource: {product: aws, service: cloudtrail}
        filter:
          rules: [tripline.cloudtrail.logging-stopped]
          retired:
            requestParameters.name|expand: '%retired_trails%'
          condition: not retired
        """

    func files(config: String = ConfigCLITests.config) throws -> (root: URL, config: URL, filter: URL) {
        let tree = try Fixtures.cloudTrailTree()
        let folder = Fixtures.temporaryFolder()
        let configURL = folder.appendingPathComponent("tripline.yml")
        let filterURL = folder.appendingPathComponent("retired-trails.yml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        try Self.filter.write(to: filterURL, atomically: true, encoding: .utf8)
        return (tree.root, configURL, filterURL)
    }

    @Test("text: a filter suppresses, the summary counts it by entry, --show-suppressed lists it; severities and account names apply")
    func text() throws {
        let f = try files()
        let r = try CLI.run(["scan", "--config", f.config.path, "--rules", f.filter.path, f.root.path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("3 finding(s): 1 high, 2 low, in 2 alert(s)."), "\(r.stdout)")
        #expect(r.stdout.contains("account  123456789012 (production)"))
        #expect(r.stdout.contains("1 finding(s) suppressed (1 matching event(s)) by 1 tuning entry:"), "\(r.stdout)")
        #expect(r.stdout.contains("  1 finding(s), 1 event(s): filter 'Retired trails may go' (\(f.filter.path):1): Trails on the retirement list are deleted on purpose."))
        #expect(!r.stdout.contains("[SUPPRESSED]"))

        let shown = try CLI.run(["scan", "--config", f.config.path, "--rules", f.filter.path, "--show-suppressed", f.root.path])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("[SUPPRESSED] [HIGH] "), "\(shown.stdout)")
        #expect(shown.stdout.contains("id ev-delete-1"))
        #expect(shown.stdout.contains("  suppressed by filter 'Retired trails may go'"))

        // Without the configuration the filter's list is unknown: a located error, and the scan says so.
        let unconfigured = try CLI.run(["scan", "--no-config", "--rules", f.filter.path, f.root.path])
        #expect(unconfigured.status == 2)
        #expect(unconfigured.stderr.contains("\(f.filter.path):8: error: [9a3f1f7e-4b1e-4c55-9a52-0d0c7c1d2b3a] '|expand' on 'requestParameters.name' refers to named lists"), "\(unconfigured.stderr)")
    }

    @Test("jsonl and json carry the suppressed findings with what suppressed them, and the counts")
    func json() throws {
        let f = try files()
        let lines = try CLI.run(["scan", "--format", "jsonl", "--show-suppressed", "--config", f.config.path, "--rules", f.filter.path, f.root.path])
        #expect(lines.status == 0, "stderr: \(lines.stderr)")
        let objects = lines.jsonLines.compactMap { $0 }
        #expect(objects.count == 4)
        let suppressed = objects.filter { $0["suppressed_by"] != nil }
        #expect(suppressed.map { $0.text("event_id") } == ["ev-delete-1"])
        #expect(suppressed.first?.text("suppressed_by.reason") == "Trails on the retirement list are deleted on purpose.")
        #expect(objects.allSatisfy { $0.text("account_name") == "production" })

        let whole = try CLI.run(["scan", "--format", "json", "--config", f.config.path, "--rules", f.filter.path, f.root.path])
        let value = try JSONValue.parse(whole.stdout)
        #expect(value[path: "summary.suppressed.findings"]?.doubleValue == 1)
        #expect(value[path: "summary.suppressed.events"]?.doubleValue == 1)
        #expect(value["summary"]?["suppressed"]?["by_entry"]?.arrayValue?.first?.text("entry")?.hasPrefix("filter 'Retired trails may go'") == true)
        #expect(value["findings"]?.arrayValue?.count == 3)
        #expect(value["suppressed_findings"] == nil)
    }

    @Test("allow-list entries and disables; expired entries are warned about and not applied")
    func allowAndExpiry() throws {
        let f = try files(config: """
            tuning:
              rules:
                - rule: tripline.cloudtrail.trail-config-changed
                  disable: true
                  reason: covered by the high rule
              allow:
                - principals: ["arn:aws:iam::*:user/mallory"]
                  source_addresses: [198.51.100.0/24]
                  reason: mallory was our red team in March
                  expires: 2025-04-01
            """)
        let r = try CLI.run(["scan", "--format", "jsonl", "--config", f.config.path, f.root.path])
        #expect(r.status == 0)
        #expect(r.stderr.contains("\(f.config.path):7: warning: expired on 2025-04-01; not applied (mallory was our red team in March)"), "\(r.stderr)")
        #expect(r.jsonLines.compactMap { $0?.text("rule_id") } == ["tripline.cloudtrail.logging-stopped", "tripline.cloudtrail.logging-stopped"])

        let live = try files(config: try String(contentsOf: f.config, encoding: .utf8).replacingOccurrences(of: "2025-04-01", with: "2999-01-01"))
        let t = try CLI.run(["scan", "--config", live.config.path, live.root.path])
        #expect(t.stdout.contains("0 finding(s), in 0 alert(s)."), "\(t.stdout)")
        // The benign call counts toward a threshold rule: a suppressed event, not a finding.
        #expect(t.stdout.contains("2 finding(s) suppressed (3 matching event(s)) by 1 tuning entry:"), "\(t.stdout)")
        #expect(t.stdout.contains("1 rule(s) disabled by the configuration."))
    }

    @Test("config check: problems with file and line and exit 2; a good file says what it does")
    func check() throws {
        let f = try files()
        let good = try CLI.run(["config", "check", f.config.path, "--rules", f.filter.path])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("1 account name(s), 1 named list(s), 1 rule entry, 0 allow-list entries, 0 filter(s); 1 filter(s) in rule files."), "\(good.stdout)")
        #expect(good.stdout.contains("tripline.cloudtrail.trail-config-changed: severity medium -> low"))
        #expect(good.stdout.contains("0 error(s), 0 warning(s)."))

        let bad = try files(config: """
            accounts:
              "12345": short
            tuning:
              allow:
                - regions: [us-east-1]
              rules:
                - rule: tripline.no-such-rule
                  severity: low
                  reason: typo
            routes: []
            nonsense: 1
            """)
        let r = try CLI.run(["config", "check", bad.config.path])
        #expect(r.status == 2)
        for expected in [
            "\(bad.config.path):2: error: account '12345' is not a 12-digit AWS account id",
            "\(bad.config.path):5: error: every tuning entry needs a reason",
            "\(bad.config.path):10: warning: section 'routes' is reserved",
            "\(bad.config.path):11: error: unknown section 'nonsense'",
            "\(bad.config.path):7: warning: 'tripline.no-such-rule' names no loaded rule",
        ] {
            #expect(r.stderr.contains(expected), "missing \(expected) in \(r.stderr)")
        }
        let yaml = try files(config: "tuning:\n  rules: [\n")
        let y = try CLI.run(["config", "check", yaml.config.path])
        #expect(y.status == 2)
        #expect(y.stderr.contains(": error: invalid YAML") && y.stderr.hasPrefix(yaml.config.path + ":"), "\(y.stderr)")

        // A scan with that configuration does not run half-tuned.
        let scan = try CLI.run(["scan", "--config", bad.config.path, f.root.path])
        #expect(scan.status == 2)
        #expect(scan.stdout.isEmpty)
        #expect(scan.stderr.contains("the configuration has errors"))

        let none = try CLI.run(["config", "check"], environment: CLI.environment(["XDG_CONFIG_HOME": Fixtures.temporaryFolder().path]))
        #expect(none.status == 2)
        #expect(none.stderr.contains("no configuration file"))
        let missing = try CLI.run(["scan", "--config", "/nonexistent/tripline.yml", f.root.path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/tripline.yml:1: error: no such configuration file"))
    }

    @Test("default locations: $TRIPLINE_CONFIG, then $XDG_CONFIG_HOME/tripline/config.yml; --no-config reads none")
    func defaults() throws {
        let f = try files()
        let viaEnv = try CLI.run(["scan", f.root.path], environment: CLI.environment(["TRIPLINE_CONFIG": f.config.path]))
        #expect(viaEnv.stdout.contains("4 finding(s): 2 high, 2 low, in 2 alert(s)."), "\(viaEnv.stdout)")
        #expect(viaEnv.stdout.contains("(production)"))

        let home = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: home.appendingPathComponent("tripline"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: f.config, to: home.appendingPathComponent("tripline/config.yml"))
        let env = CLI.environment(["XDG_CONFIG_HOME": home.path])
        #expect(try CLI.run(["scan", f.root.path], environment: env).stdout.contains("(production)"))
        let check = try CLI.run(["config", "check"], environment: env)
        #expect(check.status == 0)
        #expect(check.stdout.hasPrefix(home.appendingPathComponent("tripline/config.yml").path))
        #expect(!(try CLI.run(["scan", "--no-config", f.root.path], environment: env).stdout.contains("(production)")))
    }
}
