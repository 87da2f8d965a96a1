import Foundation
import TriplineCore

/// Local files, folders and stdin: what they expand to, how a file is read (`FileInput`), and the scan of them
/// (`ScanRunner` with `LocalFiles`).
public enum LocalScanner {
    /// File name endings read when walking a folder or listing an S3 prefix (inputs named explicitly are always
    /// read, whatever their name).
    public static let inputExtensions = [".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log"]

    private static let inputExtensionBytes = inputExtensions.map { Array($0.utf8) }

    /// Whether a file found in a folder or under a prefix is read: a known extension, and not hidden.
    public static func isInputName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isInputName($0) }
    }

    /// `isInputName` on the bytes of a name (a folder walk meets thousands; names need not be UTF-8).
    static func isInputName(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        let base = path.lastIndex(of: UInt8(ascii: "/")).map { UnsafeBufferPointer(rebasing: path[($0 + 1)...]) } ?? path
        guard base.first != UInt8(ascii: ".") else { return false }
        return inputExtensionBytes.contains { ext in
            base.count >= ext.count && zip(base.suffix(ext.count), ext).allSatisfy { b, e in
                (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b) == e
            }
        }
    }

    /// An input to read: its path as the bytes the file system holds (names need not be UTF-8) and as text for
    /// messages (bytes that are not UTF-8 shown as U+FFFD).
    public struct InputFile: Sendable {
        public var bytes: [UInt8]
        public var name: String

        public init(bytes: [UInt8]) {
            self.bytes = bytes
            name = String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Expands folders (recursively, sorted by bytes) into files. `-` stands for stdin. What is skipped in a
    /// folder and is not just another file (unreadable folders, FIFOs, devices, links to folders) is a problem.
    public static func expand(_ paths: [String]) -> (files: [String], problems: [InputProblem]) {
        let (files, problems) = expandFiles(paths)
        return (files.map(\.name), problems)
    }

    public static func expandFiles(_ paths: [String]) -> (files: [InputFile], problems: [InputProblem]) {
        var files: [InputFile] = []
        var problems: [InputProblem] = []
        for path in paths {
            if path == "-" {
                files.append(InputFile(bytes: Array(path.utf8)))
                continue
            }
            let bytes = Array(path.utf8)
            var st = stat()
            guard stat(cPath(bytes), &st) == 0 else {
                problems.append(InputProblem(path: path, message: errno == ENOENT ? "no such file or folder" : "cannot read: \(errorText())"))
                continue
            }
            guard st.st_mode & S_IFMT == S_IFDIR else {
                files.append(InputFile(bytes: bytes))  // named explicitly: read whatever it is (a FIFO, a device)
                continue
            }
            var found: [InputFile] = []
            walk(bytes, into: &found, problems: &problems)
            files += found.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        }
        return (files, problems)
    }

    private static func cPath(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }
    private static func errorText() -> String { String(cString: strerror(errno)) }

    /// Every input file under `folder`, with POSIX calls on byte paths (FileManager skips names that are not UTF-8).
    private static func walk(_ folder: [UInt8], into found: inout [InputFile], problems: inout [InputProblem]) {
        guard let dir = opendir(cPath(folder)) else {
            problems.append(InputProblem(path: InputFile(bytes: folder).name, message: "cannot read folder: \(errorText())"))
            return
        }
        defer { closedir(dir) }
        var entries: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            entries.append(name)
        }
        for name in entries {
            let full = folder.last == 0x2F ? folder + name : folder + [0x2F] + name
            var file: InputFile { InputFile(bytes: full) }
            var st = stat()
            guard lstat(cPath(full), &st) == 0 else {
                problems.append(InputProblem(path: file.name, message: "cannot read: \(errorText())"))
                continue
            }
            var type = st.st_mode & S_IFMT
            if type == S_IFLNK {
                guard stat(cPath(full), &st) == 0 else {
                    problems.append(InputProblem(path: file.name, message: "broken symbolic link; skipped"))
                    continue
                }
                type = st.st_mode & S_IFMT
                if type == S_IFDIR {
                    problems.append(InputProblem(path: file.name, message: "symbolic link to a folder; not followed (name it to scan it)"))
                    continue
                }
            }
            if type == S_IFDIR {
                walk(full, into: &found, problems: &problems)
                continue
            }
            guard name.withUnsafeBufferPointer(isInputName) else { continue }
            guard type == S_IFREG else {
                problems.append(InputProblem(path: file.name, message: "not a regular file (FIFO, socket or device); skipped (name it to read it)"))
                continue
            }
            found.append(file)
        }
    }

    /// Scans `paths` (files, folders, `-` for stdin) on `options.workers` threads.
    public static func scan(paths: [String], engine: Engine, options: ScanOptions = ScanOptions()) -> ScanResult {
        scan(expanded: expandFiles(paths), engine: engine, options: options)
    }

    /// Scans what `expandFiles` gave (walked while the caller did something else, such as compiling the rules).
    public static func scan(
        expanded: (files: [InputFile], problems: [InputProblem]), engine: Engine, options: ScanOptions = ScanOptions()
    ) -> ScanResult {
        let (files, problems) = expanded
        var result = ScanRunner.run(LocalFiles(files: files, wholeUpTo: options.maxDecompressed), engine: engine, options: options)
        result.problems = problems + result.problems
        result.sortProblems()
        return result
    }
}

/// Local files as a scan's source, each read with `FileInput`.
public struct LocalFiles: BlockingScanSource {
    public let files: [LocalScanner.InputFile]
    /// Files up to this size are read whole; larger ones, pipes and devices are streamed.
    public let wholeUpTo: Int

    public init(files: [LocalScanner.InputFile], wholeUpTo: Int = EventProcessor.defaultMaxDecompressed) {
        self.files = files
        self.wholeUpTo = wholeUpTo
    }

    public var names: [String] { files.map(\.name) }

    public func read(_ index: Int, into w: inout ScanWorker) {
        FileInput.process(files[index], wholeUpTo: wholeUpTo, buffer: &w.buffer, processor: &w.processor,
                          findings: &w.findings, problems: &w.problems, stats: &w.stats)
    }
}

/// Reads one local input with POSIX calls on its byte path: whole into a reused buffer when it is a regular file
/// no larger than the whole-input limit (no Foundation `Data` on the hot path), streamed otherwise (stdin, pipes,
/// devices, large files), so memory never follows the size of a file.
public enum FileInput {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func process(
        _ file: LocalScanner.InputFile, wholeUpTo limit: Int, buffer: inout [UInt8], processor: inout EventProcessor,
        findings: inout [Finding], problems: inout [InputProblem], stats: inout ScanStats
    ) {
        let path = file.name
        func failed(_ message: String) {
            stats.inputs += 1
            stats.failedInputs += 1
            problems.append(InputProblem(path: path, message: message))
        }
        let isStdin = file.bytes == [UInt8(ascii: "-")]
        let fd = isStdin ? 0 : open(file.bytes.map { CChar(bitPattern: $0) } + [0], O_RDONLY)
        guard fd >= 0 else { return failed("cannot open: \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return failed("cannot read: \(String(cString: strerror(errno)))") }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { return failed("is a folder") }
        if type == S_IFREG && Int(st.st_size) <= limit {
            do {
                try read(fd, size: Int(st.st_size), limit: limit, into: &buffer)
            } catch {
                return failed("\(error)")
            }
            buffer.withUnsafeBufferPointer { raw in
                _ = processor.process(raw, path: path, findings: &findings, problems: &problems, stats: &stats)
            }
            return
        }
        // Streamed: look at the first two bytes for gzip's magic number, then hand them back first.
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let n = head.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + got, 2 - got) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return failed("read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            got += n
        }
        head.removeSubrange(got...)
        let source = DescriptorSource(fd: fd, head: head)
        let size = type == S_IFREG ? Int(st.st_size) : 0
        if head == [0x1F, 0x8B] {
            do {
                let gunzip = try GunzipSource(source)
                processor.process(stream: gunzip, path: path, findings: &findings, problems: &problems, stats: &stats,
                                  rawBytes: size)
            } catch {
                failed(error.message)
            }
        } else {
            processor.process(stream: source, path: path, findings: &findings, problems: &problems, stats: &stats,
                              rawBytes: size)
        }
    }

    /// Reads a regular file of `size` bytes (it may grow meanwhile: never past `limit`) into `buffer`.
    static func read(_ fd: Int32, size: Int, limit: Int, into buffer: inout [UInt8]) throws {
        buffer.removeAll(keepingCapacity: true)
        let want = min(size, limit) + 1  // one more, to see the end of the file
        if buffer.count < want { buffer.append(contentsOf: repeatElement(0, count: want - buffer.count)) }
        var used = 0
        while used < want {
            let n = buffer.withUnsafeMutableBytes { raw in
                Foundation.read(fd, raw.baseAddress! + used, want - used)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            used += n
        }
        if used > limit { throw Failure(description: "the file grew past \(limit >> 20) MiB while it was read") }
        buffer.removeSubrange(used...)
    }
}
