import ArgumentParser
import Foundation
import TriplineService
import TriplineSQLite

/// Where `watch` and `findings` keep their state: the local SQLite file by default, a DynamoDB table with `--table`.
struct StateOptions: ParsableArguments {
    @Option(help: "SQLite state file (default: TRIPLINE_DB or ~/.tripline/tripline.sqlite).")
    var db: String?

    @Option(help: "Keep state in this DynamoDB table instead of the local SQLite file.")
    var table: String?

    func validate() throws {
        if db != nil && table != nil { throw ValidationError("give --db or --table, not both") }
        if let table, table.isEmpty { throw ValidationError("--table needs a table name") }
    }

    /// A short description for messages ("/home/u/.tripline/tripline.sqlite", "DynamoDB table t").
    var location: String {
        if let table { return "DynamoDB table \(table)" }
        return db ?? SQLiteDatabase.defaultPath()
    }

    func stores(aws: AWSOptions) throws -> (findings: any FindingStore, checkpoints: any CheckpointStore) {
        if let table { return DynamoDBStores.make(table: table, client: aws.client()) }
        let database = try SQLiteDatabase(path: db ?? SQLiteDatabase.defaultPath())
        return (SQLiteFindingStore(database), SQLiteCheckpointStore(database))
    }
}

/// A span of time on the command line: `90` or `90s`, `20m`, `24h`, `7d`.
struct Span: ExpressibleByArgument, Equatable, CustomStringConvertible {
    var seconds: Int

    init(seconds: Int) { self.seconds = seconds }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let unit = units.first { text.hasSuffix($0.0) }
        let digits = unit.map { String(text.dropLast($0.0.count)) } ?? text
        guard let value = Int(digits), value >= 0, value <= 366 * 86400 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit?.1 ?? 1)
        guard !overflow else { return nil }
        seconds = product
    }

    var description: String {
        if seconds % 86400 == 0 && seconds > 0 { return "\(seconds / 86400)d" }
        if seconds % 3600 == 0 && seconds > 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 && seconds > 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    var defaultValueDescription: String { description }
}
