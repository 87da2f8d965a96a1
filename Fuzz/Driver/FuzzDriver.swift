// libFuzzer entry point (compiled only by scripts/fuzz, with -sanitize=fuzzer,address). One binary serves every
// target: TRIPLINE_FUZZ_TARGET names it. A property a target checks that fails is a crash for libFuzzer.
import Foundation
import TriplineFuzzTargets

let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["TRIPLINE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.named(name) else {
        let names = FuzzTargets.all.map { "  \($0.name): \($0.input)" }.joined(separator: "\n")
        FileHandle.standardError.write(Data("set TRIPLINE_FUZZ_TARGET to one of:\n\(names)\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: size == 0 ? nil : data, count: size)
    do {
        try target.run(bytes)
    } catch {
        fatalError("\(target.name): \(error)")
    }
    return 0
}
