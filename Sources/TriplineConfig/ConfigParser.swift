import TriplineCore
import TriplineRuleDocument
import TriplineRules

extension Configuration {
    /// Reads a configuration from its YAML text. Every problem comes back located (`path:line`); the
    /// configuration is usable only when none of them is an error. Pure: callers read the file (or S3, or SSM).
    public static func parse(yaml text: String, path: String) -> (Configuration, [RuleDiagnostic]) {
        var reader = ConfigReader(path: path)
        let documents: [RuleNode]
        do {
            documents = try RuleNode.documents(yaml: text)
        } catch {
            return (Configuration(path: path), [RuleDiagnostic(.error, file: path, line: error.line, "invalid YAML: \(error.problem)")])
        }
        guard documents.count <= 1 else {
            return (Configuration(path: path), [RuleDiagnostic(.error, file: path, line: documents[1].line, "a configuration is one YAML document")])
        }
        var config = Configuration(path: path)
        if let root = documents.first { reader.read(root, into: &config) }
        return (config, reader.diagnostics)
    }
}

/// Reads the configuration's tree, collecting located diagnostics instead of stopping at the first.
struct ConfigReader {
    let path: String
    var diagnostics: [RuleDiagnostic] = []

    init(path: String) { self.path = path }

    mutating func error(_ node: RuleNode, _ message: String) {
        diagnostics.append(RuleDiagnostic(.error, file: path, line: node.line, message))
    }

    mutating func warning(_ node: RuleNode, _ message: String) {
        diagnostics.append(RuleDiagnostic(.warning, file: path, line: node.line, message))
    }

    /// A mapping's members by name; nil (with an error) when `node` is not a mapping of plain keys.
    mutating func members(_ node: RuleNode, _ what: String) -> [(key: String, keyNode: RuleNode, value: RuleNode)]? {
        guard case .mapping(let map, _) = node else {
            if case .scalar(let s, _, _) = node, s.isEmpty { return [] }  // `section:` left empty
            error(node, "\(what) must be a mapping")
            return nil
        }
        var out: [(key: String, keyNode: RuleNode, value: RuleNode)] = []
        var seen = Set<String>()
        for (k, v) in map {
            guard let key = k.scalarText else {
                error(k, "keys in \(what) must be plain strings")
                continue
            }
            if !seen.insert(key).inserted { error(k, "duplicate key '\(key)' in \(what)") }
            out.append((key, k, v))
        }
        return out
    }

    mutating func string(_ node: RuleNode, _ what: String) -> String? {
        guard case .scalar(let s, _, _) = node else {
            error(node, "\(what) must be a string")
            return nil
        }
        return s
    }

    mutating func strings(_ node: RuleNode, _ what: String) -> [String] {
        switch node {
        case .scalar(let s, _, _): return [s]
        case .sequence(let items, _):
            var out: [String] = []
            for item in items {
                if let s = item.scalarText { out.append(s) } else { error(item, "\(what) must be a list of strings") }
            }
            return out
        case .mapping:
            error(node, "\(what) must be a string or a list of strings")
            return []
        }
    }

    mutating func list(_ node: RuleNode, _ what: String) -> [RuleNode] {
        switch node {
        case .sequence(let items, _): return items
        case .scalar(let s, _, _) where s.isEmpty: return []
        default:
            error(node, "\(what) must be a list")
            return []
        }
    }

    // MARK: Sections

    mutating func read(_ root: RuleNode, into config: inout Configuration) {
        guard let sections = members(root, "the configuration") else { return }
        // Lists first: entries anywhere may refer to them.
        if let lists = sections.first(where: { $0.key == "lists" }) { config.lists = readLists(lists.value) }
        for (key, keyNode, value) in sections {
            switch key {
            case "version":
                if value.scalarText != "1" { error(value, "unsupported configuration version '\(value.scalarText ?? "")': this Tripline reads version 1") }
            case "accounts": config.accounts = readAccounts(value)
            case "lists": break
            case "tuning": config.tuning = readTuning(value, lists: config.lists)
            case "destinations": config.destinations = readDestinations(value)
            default:
                if Configuration.reservedSections.contains(key) {
                    warning(keyNode, "section '\(key)' is reserved for a later version of Tripline and is not read by this one")
                } else {
                    error(keyNode, "unknown section '\(key)' (sections: \(Configuration.sections.sorted().joined(separator: ", ")))")
                }
            }
        }
    }

    mutating func readAccounts(_ node: RuleNode) -> [String: String] {
        var out: [String: String] = [:]
        for (id, keyNode, value) in members(node, "accounts") ?? [] {
            if id.utf8.count != 12 || !id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                error(keyNode, "account '\(id)' is not a 12-digit AWS account id (quote ids that start with 0)")
            }
            if let name = string(value, "the name of account \(id)") {
                if name.isEmpty { error(value, "account \(id) has an empty name") }
                out[id] = name
            }
        }
        return out
    }

    mutating func readLists(_ node: RuleNode) -> NamedLists {
        var out: NamedLists = [:]
        for (name, keyNode, value) in members(node, "lists") ?? [] {
            if name.isEmpty || name.contains("%") { error(keyNode, "list name '\(name)' cannot be empty or hold '%'") }
            guard case .sequence = value else {
                error(value, "list '\(name)' must be a list of strings")
                continue
            }
            let items = strings(value, "list '\(name)'")
            if items.isEmpty { warning(value, "list '\(name)' is empty: what refers to it matches nothing") }
            out[name] = items
        }
        return out
    }

    mutating func readTuning(_ node: RuleNode, lists: NamedLists) -> Tuning {
        var tuning = Tuning()
        for (key, keyNode, value) in members(node, "tuning") ?? [] {
            switch key {
            case "rules": tuning.rules = list(value, "tuning.rules").compactMap { readRuleTuning($0) }
            case "allow": tuning.allow = list(value, "tuning.allow").compactMap { readAllow($0, lists: lists) }
            case "filters": tuning.filters = list(value, "tuning.filters").compactMap { readFilter($0, lists: lists) }
            default: error(keyNode, "unknown key '\(key)' in tuning (rules, allow, filters)")
            }
        }
        return tuning
    }

    /// `reason` (required, not empty) and `expires` (optional date) of an entry.
    mutating func origin(_ entry: RuleNode, _ fields: [(key: String, keyNode: RuleNode, value: RuleNode)]) -> EntryOrigin? {
        var reason: String?
        var expires: Expiry?
        var valid = true
        if let r = fields.first(where: { $0.key == "reason" })?.value {
            reason = string(r, "reason")
            if reason?.trimmingSpaces.isEmpty ?? true {
                error(r, "reason must say why (it is shown wherever the entry suppresses something)")
                valid = false
            }
        } else {
            error(entry, "every tuning entry needs a reason: why is this expected?")
            valid = false
        }
        if let e = fields.first(where: { $0.key == "expires" })?.value {
            expires = e.scalarText.flatMap(Expiry.init)
            if expires == nil {
                error(e, "expires must be a date such as 2026-12-31")
                valid = false
            }
        }
        guard valid, let reason else { return nil }
        return EntryOrigin(path: path, line: entry.line, reason: reason.trimmingSpaces, expires: expires)
    }

    mutating func selectors(_ node: RuleNode, _ what: String) -> [RuleSelector] {
        let texts = strings(node, what)
        for t in texts where t.isEmpty || t.lowercased() == "tag:" { error(node, "\(what): an empty rule selector") }
        if texts.isEmpty { error(node, "\(what) names no rule") }
        return texts.map(RuleSelector.init)
    }

    mutating func readRuleTuning(_ entry: RuleNode) -> RuleTuning? {
        guard let fields = members(entry, "a tuning.rules entry") else { return nil }
        var rules: [RuleSelector] = []
        var disable = false
        var severity: Severity?
        for (key, keyNode, value) in fields {
            switch key {
            case "rule", "rules": rules += selectors(value, key)
            case "disable":
                guard let b = value.scalarText.flatMap({ Bool($0.lowercased()) }) else {
                    error(value, "disable must be true or false")
                    continue
                }
                disable = b
            case "severity":
                severity = value.scalarText.flatMap(Severity.init)
                if severity == nil { error(value, "severity must be one of info, low, medium, high, critical") }
            case "reason", "expires": break
            default: error(keyNode, "unknown key '\(key)' in a tuning.rules entry (rule, disable, severity, reason, expires)")
            }
        }
        if rules.isEmpty && !fields.contains(where: { $0.key == "rule" || $0.key == "rules" }) {
            error(entry, "a tuning.rules entry needs rule: (an id, a glob or tag:NAME)")
        }
        if !disable && severity == nil { error(entry, "a tuning.rules entry must disable the rule or set its severity") }
        if disable && severity != nil { error(entry, "disable and severity together: a disabled rule has no severity") }
        guard let origin = origin(entry, fields), !rules.isEmpty else { return nil }
        return RuleTuning(rules: rules, disable: disable, severity: severity, origin: origin)
    }

    static let allowKeys = [
        "name", "rule", "rules", "accounts", "principals", "source_addresses", "user_agents", "regions", "reason", "expires",
    ]

    mutating func readAllow(_ entry: RuleNode, lists: NamedLists) -> AllowEntry? {
        guard let fields = members(entry, "a tuning.allow entry") else { return nil }
        let errorsBefore = diagnostics.count { $0.level == .error }
        var name: String?
        var rules: [RuleSelector]?
        var criteria: [String: (values: [String], node: RuleNode)] = [:]
        for (key, keyNode, value) in fields {
            switch key {
            case "name": name = string(value, "name")
            case "rule", "rules": rules = (rules ?? []) + selectors(value, key)
            case "accounts", "principals", "source_addresses", "user_agents", "regions":
                var values: [String] = []
                for text in strings(value, key) {
                    do {
                        values += try Placeholders.expand(text, lists: lists)
                    } catch {
                        self.error(value, "unknown placeholder %\(error.name)% in \(key): no list named '\(error.name)'")
                    }
                }
                if values.isEmpty { error(value, "\(key) is empty: an allow-list entry with nothing to compare allows nothing") }
                criteria[key] = (values, value)
            case "reason", "expires": break
            default: error(keyNode, "unknown key '\(key)' in a tuning.allow entry (\(Self.allowKeys.joined(separator: ", ")))")
            }
        }
        if criteria.isEmpty {
            error(entry, "an allow-list entry needs at least one of accounts, principals, source_addresses, user_agents, regions (to turn a rule off, use tuning.rules with disable: true)")
        }
        let accounts = criteria["accounts"]?.values ?? []
        let sourceAddresses = criteria["source_addresses"]?.values ?? []
        for account in accounts where account.utf8.count != 12 || !account.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            error(criteria["accounts"]!.node, "account '\(account)' is not a 12-digit AWS account id (quote ids that start with 0)")
        }
        for address in sourceAddresses where address.contains("/") && IPNetwork(address) == nil {
            error(criteria["source_addresses"]!.node, "'\(address)' is not a CIDR network")
        }
        guard let origin = origin(entry, fields), diagnostics.count(where: { $0.level == .error }) == errorsBefore else { return nil }
        let spec = AllowDetection.spec(
            accounts: accounts, principals: criteria["principals"]?.values ?? [], sourceAddresses: sourceAddresses,
            userAgents: criteria["user_agents"]?.values ?? [], regions: criteria["regions"]?.values ?? [])
        do {
            var allowed = AllowEntry(name: name, rules: rules, origin: origin, detection: try Detection.compile(spec))
            allowed.accounts = accounts
            allowed.principals = criteria["principals"]?.values ?? []
            allowed.sourceAddresses = sourceAddresses
            allowed.userAgents = criteria["user_agents"]?.values ?? []
            allowed.regions = criteria["regions"]?.values ?? []
            return allowed
        } catch {
            self.error(entry, "cannot compile this entry: \(error.message)")
            return nil
        }
    }

    mutating func readFilter(_ entry: RuleNode, lists: NamedLists) -> RuleFilter? {
        guard let fields = members(entry, "a tuning.filters entry") else { return nil }
        let (filter, problems) = RuleFilter.load(entry, path: path, lists: lists)
        diagnostics += problems
        if fields.first(where: { $0.key == "reason" }) == nil {
            error(entry, "every tuning entry needs a reason: why is this expected?")
            return nil
        }
        return filter
    }
}

/// What an allow-list entry's criteria mean, as a Sigma detection over the event.
enum AllowDetection {
    static func spec(
        accounts: [String], principals: [String], sourceAddresses: [String], userAgents: [String], regions: [String]
    ) -> DetectionSpec {
        var selections: [(name: String, selection: SelectionSpec)] = []
        func add(_ name: String, _ groups: [[FieldSpec]]) {
            if !groups.isEmpty { selections.append((name, .fieldGroups(groups))) }
        }
        func strings(_ values: [String]) -> [SigmaValue] { values.map(SigmaValue.string) }
        if !accounts.isEmpty {
            add("accounts", [[FieldSpec(field: "recipientAccountId", modifiers: [], values: strings(accounts))]])
        }
        if !principals.isEmpty {
            // A role session's ARN names the session; its issuer is the role, which is what people allow-list.
            add("principals", [
                [FieldSpec(field: "userIdentity.arn", modifiers: [], values: strings(principals))],
                [FieldSpec(field: "userIdentity.sessionContext.sessionIssuer.arn", modifiers: [], values: strings(principals))],
            ])
        }
        if !sourceAddresses.isEmpty {
            let networks = sourceAddresses.filter { IPNetwork($0) != nil }
            let names = sourceAddresses.filter { IPNetwork($0) == nil }
            var groups: [[FieldSpec]] = []
            if !networks.isEmpty { groups.append([FieldSpec(field: "sourceIPAddress", modifiers: [.cidr], values: strings(networks))]) }
            if !names.isEmpty { groups.append([FieldSpec(field: "sourceIPAddress", modifiers: [], values: strings(names))]) }
            add("source_addresses", groups)
        }
        if !userAgents.isEmpty {
            add("user_agents", [[FieldSpec(field: "userAgent", modifiers: [], values: strings(userAgents))]])
        }
        if !regions.isEmpty {
            add("regions", [[FieldSpec(field: "awsRegion", modifiers: [], values: strings(regions))]])
        }
        return DetectionSpec(selections: selections, conditions: [selections.map(\.name).joined(separator: " and ")])
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
