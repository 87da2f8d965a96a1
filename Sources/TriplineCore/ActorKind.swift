import TriplineJSON

/// Who is behind an API call: a person at a console or terminal, automation (pipelines, infrastructure as code,
/// applications), or an AWS service acting for the account. Decided from the session and the client, not from the
/// identity type alone: a Jenkins IAM user running Terraform is automation; an Identity Center session running the
/// CLI is a person.
public enum ActorKind: String, Sendable, CaseIterable {
    case human
    case automation
    case service = "aws-service"

    static let type = JSONPath("userIdentity.type"), arn = JSONPath("userIdentity.arn"),
        invokedBy = JSONPath("userIdentity.invokedBy"), userAgent = JSONPath("userAgent"),
        fromConsole = JSONPath("sessionCredentialFromConsole"),
        mfa = JSONPath("userIdentity.sessionContext.attributes.mfaAuthenticated")

    /// Clients that only people use: the console and browsers.
    static let consoleAgents = LiteralSearch(
        ["console.amazonaws.com", "signin.amazonaws.com", "console.aws.amazon.com", "mozilla/"].map { Array($0.utf8) },
        cased: false)
    /// Clients that mark automation: infrastructure as code, CI systems, SDKs running inside AWS compute.
    static let automationAgents = LiteralSearch(
        ["terraform", "hashicorp", "pulumi", "aws-cdk", "cloudformation", "jenkins", "exec-env/aws_lambda",
         "exec-env/aws_ecs", "exec-env/codebuild", "github-actions", "gitlab", "atlantis", "spacelift", "ansible",
         "crossplane", "serverless/"].map { Array($0.utf8) },
        cased: false)
    /// SDKs (not the CLI, which is built on one and names itself first).
    static let sdkAgents = LiteralSearch(["aws-sdk-", "boto3/", "botocore/", "aws-internal/"].map { Array($0.utf8) }, cased: false)

    /// The kind of actor behind the event at `root`, or nil when the event names no identity.
    public static func classify(_ view: JSONView, root: Int = 0) -> ActorKind? {
        func text(_ path: JSONPath) -> String? { view.first(path, from: root).flatMap(view.scalarText) }
        func agent(_ search: LiteralSearch) -> Bool {
            guard let node = view.first(userAgent, from: root), view.kind(node) == .string else { return false }
            return view.withStringBytes(node) { search.found(in: $0) }
        }
        guard let type = text(type) else { return nil }
        if type == "AWSService" || type == "AWSAccount" && text(invokedBy) != nil { return .service }
        if let by = text(invokedBy), by.hasSuffix(".amazonaws.com"), !consoleAgents.found(in: by) { return .service }
        if type == "Root" { return .human }
        // A session that began at the console or with an MFA code, or an Identity Center (SSO) permission set, is a
        // person, whatever client they then use.
        if text(fromConsole)?.lowercased() == "true" || agent(consoleAgents) { return .human }
        if text(mfa)?.lowercased() == "true" { return .human }
        if let arn = text(arn), Substring(arn).range(of: ":assumed-role/AWSReservedSSO_") != nil { return .human }
        if agent(automationAgents) { return .automation }
        switch type {
        case "IAMUser", "FederatedUser", "IdentityCenterUser":
            // Long-term keys with the CLI or an unknown client: a person until the client says otherwise.
            return agent(sdkAgents) && !agentStartsWithCLI(view, root) ? .automation : .human
        default:
            // Roles assumed without console, MFA or SSO: workloads, pipelines, cross-account tooling.
            return .automation
        }
    }

    static func agentStartsWithCLI(_ view: JSONView, _ root: Int) -> Bool {
        guard let ua = view.first(userAgent, from: root).flatMap(view.string) else { return false }
        return ua.lowercased().hasPrefix("aws-cli/")
    }
}

extension LiteralSearch {
    func found(in text: String) -> Bool {
        var t = text
        return t.withUTF8 { found(in: $0) }
    }
}
