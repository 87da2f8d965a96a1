import GRDB
import TriplineService

/// `CheckpointStore` in the same SQLite file as the findings. Like the other stores, a checkpoint only moves
/// forward, so a slow run finishing late cannot rewind a faster one.
public struct SQLiteCheckpointStore: CheckpointStore {
    public let database: SQLiteDatabase

    public init(_ database: SQLiteDatabase) { self.database = database }

    public func load(_ name: String) async throws -> Int? {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT epoch FROM checkpoint WHERE name = ?", arguments: [name])
        }
    }

    public func save(_ name: String, _ epoch: Int) async throws {
        try await database.immediate { db in
            try db.execute(
                sql: "INSERT INTO checkpoint (name, epoch) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET epoch = excluded.epoch WHERE excluded.epoch > checkpoint.epoch",
                arguments: [name, epoch])
        }
    }
}
