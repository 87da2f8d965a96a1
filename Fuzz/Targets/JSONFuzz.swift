import TriplineJSON

/// The tape parser on any bytes: it accepts or throws, never crashes; what it accepts survives a round trip
/// through `JSONValue` (serialize, parse again, same value).
enum JSONFuzz {
    static func run(_ p: UnsafeBufferPointer<UInt8>) throws {
        var parser = JSONParser()
        do { try parser.parseDocument(p) } catch { return }
        let value = parser.withNodes { JSONValue(JSONView(bytes: p, nodes: $0), 0) }
        let text = value.serialized()
        let again: JSONValue
        do { again = try JSONValue.parse(text) } catch {
            throw FuzzFailure("serialized form does not parse (\(error)): \(text.prefix(200))")
        }
        guard again == value else { throw FuzzFailure("round trip changed the value: \(text.prefix(200))") }
        // The same bytes through the record path's depth limit: a shallower limit may reject, never crash.
        var shallow = JSONParser(maxDepth: 8)
        _ = try? shallow.parseDocument(p)
    }
}
