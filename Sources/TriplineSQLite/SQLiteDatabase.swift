import Foundation
import GRDB

/// The local state file of `tripline watch` and `tripline findings`: findings, the events folded into them and the
/// poller's checkpoints, in one SQLite database.
///
/// WAL mode (a `DatabasePool`) so `tripline findings list` can read while `tripline watch` writes; a busy timeout so
/// two processes writing at once wait for each other instead of failing.
public final class SQLiteDatabase: Sendable {
    let pool: DatabasePool
    public let path: String

    /// `~/.tripline/tripline.sqlite`, or `TRIPLINE_DB` when set.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["TRIPLINE_DB"], !path.isEmpty { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".tripline/tripline.sqlite")
    }

    /// Opens (creating the file and its folder if needed) and migrates to the current schema.
    public init(path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        try Self.migrator.migrate(pool)
    }

    /// Schema history. Never edit a registered migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: findings, finding events, checkpoints") { db in
            try db.execute(sql: """
                CREATE TABLE finding (
                    key TEXT PRIMARY KEY NOT NULL,
                    rule_id TEXT NOT NULL,
                    severity INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    event_time INTEGER NOT NULL,
                    window_end INTEGER NOT NULL,
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    owner TEXT,
                    lease_until INTEGER NOT NULL DEFAULT 0,
                    json TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX finding_by_time ON finding(event_time DESC);
                -- Every (rule, event) ever folded into a finding: what makes claims idempotent.
                CREATE TABLE finding_event (
                    rule_id TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    PRIMARY KEY (rule_id, event_id)
                );
                CREATE TABLE checkpoint (
                    name TEXT PRIMARY KEY NOT NULL,
                    epoch INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: destinations each finding's alert was delivered to") { db in
            // Destination names, one per line (names are letters, digits, '-' and '_'); kept when a retry takes an
            // abandoned claim over, emptied when a new window opens.
            try db.execute(sql: "ALTER TABLE finding ADD COLUMN delivered TEXT NOT NULL DEFAULT ''")
        }
        return migrator
    }

    /// Runs `body` in an IMMEDIATE transaction: the write lock is taken up front, so a read-then-write (a claim)
    /// cannot interleave with another process's.
    func immediate<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }
}
