import TriplineCore
import TriplineJSON

// The edges of the alerting pipeline. Each is a small protocol with an in-memory fake (for tests) and real
// implementations: DynamoDB and SNS in AWS, SQLite and stdout locally.

/// A finding as stored: what `tripline findings` lists and what dedup is keyed on.
public struct StoredFinding: Sendable, Equatable {
    /// The alert key: the rule's dedup key (one alert per key per window).
    public var key: String
    public var ruleID: String
    public var severity: Severity
    public var title: String
    public var eventID: String
    /// Event time, epoch seconds.
    public var eventTime: Int
    /// When the dedup window of this alert ends (epoch seconds): a finding with the same key after it is a new alert.
    public var windowEnd: Int
    public var accountID: String
    public var region: String
    public var actor: String
    /// Events folded into this alert.
    public var count: Int
    public var state: AlertState
    /// The finding as its JSON contract (`FindingJSON`), for display and audit.
    public var json: JSONValue

    public init(key: String, ruleID: String, severity: Severity, title: String, eventID: String, eventTime: Int,
                windowEnd: Int, accountID: String, region: String, actor: String, count: Int, state: AlertState,
                json: JSONValue) {
        self.key = key
        self.ruleID = ruleID
        self.severity = severity
        self.title = title
        self.eventID = eventID
        self.eventTime = eventTime
        self.windowEnd = windowEnd
        self.accountID = accountID
        self.region = region
        self.actor = actor
        self.count = count
        self.state = state
        self.json = json
    }
}

public enum AlertState: String, Sendable, Equatable {
    /// Claimed by an invocation that is sending the alert (or failed to, and left it for the retry).
    case pending
    /// The alert was delivered.
    case alerted
    /// Below the alerting threshold (minimum severity): recorded for audit only.
    case recorded
}

/// What `claim` found.
public enum ClaimOutcome: Sendable, Equatable {
    /// This caller owns the alert and must send it, then `markAlerted` (or `release` on failure).
    case claimed
    /// Already alerted inside the window (a duplicate delivery, a retry after success, the same event by another
    /// path): the event was folded in (count) if it was new; send nothing.
    case duplicate
    /// Another invocation holds a live (unexpired) claim on this key. It may still fail or die, so the caller's
    /// input must fail and come back later: acknowledging it could lose the alert.
    case heldElsewhere
}

/// Remembers findings so at-least-once inputs give exactly-once alerts.
///
/// Contract (the state machine in docs/architecture.md): `claim` is atomic per key (a conditional write). A key is
/// claimable when absent, when its window has ended, or when it is `pending` and its claim has expired
/// (`expiresAt < now`: the owner died, timed out or released it). A claim's expiry is its owner's deadline plus a
/// margin, never a fixed lease, so it outlives every call its owner can still make and no longer. The same
/// `(ruleID, eventID)` claimed twice never counts twice.
public protocol FindingStore: Sendable {
    /// `expiresAt`: epoch seconds after which another owner may take the claim over.
    func claim(_ finding: StoredFinding, owner: String, now: Int, expiresAt: Int) async throws -> ClaimOutcome
    /// The owner delivered the alerts for these keys.
    func markAlerted(_ keys: [String], owner: String) async throws
    /// The owner could not deliver: make the keys claimable again at once (the retry alerts).
    func release(_ keys: [String], owner: String) async throws
    /// Destinations that already have the alert of `key` in its current window (recorded by ``markDelivered``).
    /// A claim that takes over an abandoned (released or expired) key keeps them, so the retry sends only to the
    /// destinations that failed; a claim that opens a new window starts with none.
    func deliveredDestinations(_ key: String) async throws -> Set<String>
    /// The owner, still holding the claim, delivered the alert of these keys to `destinations`.
    func markDelivered(_ keys: [String], destinations: Set<String>, owner: String) async throws
    /// Newest first.
    func list(since: Int?, limit: Int, minimumSeverity: Severity) async throws -> [StoredFinding]
    func get(key: String) async throws -> StoredFinding?
}

/// Where the poller remembers how far it has read (epoch seconds of the newest event processed).
public protocol CheckpointStore: Sendable {
    func load(_ name: String) async throws -> Int?
    func save(_ name: String, _ epoch: Int) async throws
}

/// One alert message: every finding of one ``Alert`` (the rules that matched one event, or a threshold alert).
public struct AlertMessage: Sendable, Equatable {
    public var subject: String
    public var body: String
    /// Highest severity in the message (the `severity` message attribute, for subscription filters).
    public var severity: Severity
    public var ruleIDs: [String]
    public var accountIDs: [String]
    public var findingKeys: [String]
    /// ``Alert/id``: the same for a retried or re-sent alert, so a consumer can drop the copy.
    public var alertID: String

    public init(
        subject: String, body: String, severity: Severity, ruleIDs: [String], accountIDs: [String], findingKeys: [String],
        alertID: String = ""
    ) {
        self.subject = subject
        self.body = body
        self.severity = severity
        self.ruleIDs = ruleIDs
        self.accountIDs = accountIDs
        self.findingKeys = findingKeys
        self.alertID = alertID
    }
}

/// Delivers alert messages (SNS, Slack/webhook, stdout). Throws if any message was not delivered.
public protocol AlertSink: Sendable {
    func send(_ messages: [AlertMessage]) async throws
}
