// CloudTrail digest files: the hourly integrity manifests CloudTrail writes next to the logs. They have no
// `Records`; a scanner must recognise and skip them (or verify them). Signatures here are random, not real RSA.

extension SynthGenerator {
    /// A digest file for `logFiles` (each with its uncompressed JSON, which the digest hashes with SHA-256), covering
    /// [startTime, endTime) in epoch seconds. Returns the digest's S3 key and its uncompressed JSON.
    public func digestFile(region: String, startTime: Int64, endTime: Int64,
                           logFiles: [(info: SynthLogFile, json: [UInt8])]) -> (key: String, json: [UInt8]) {
        let acct = config.accountId
        let home = config.regions.contains("us-east-1") ? "us-east-1" : config.regions[0]
        func key(_ t: Int64) -> String {
            let c = CivilTime(t * 1000)
            return "AWSLogs/\(acct)/CloudTrail-Digest/\(region)/\(c.datePath)/\(acct)_CloudTrail-Digest_\(region)_\(config.trailName)_\(home)_\(c.compact(seconds: true)).json.gz"
        }
        var rng = SynthRNG(seed: mixSeed(config.seed, 0xD16E_5700 &+ UInt64(bitPattern: startTime)))
        var o = JSONOut()
        o.byte(0x7B)
        o.kv("awsAccountId", acct)
        o.key("digestStartTime"); o.isoTime(startTime * 1000)
        o.key("digestEndTime"); o.isoTime(endTime * 1000)
        o.kv("digestS3Bucket", config.bucket)
        let ownKey = key(endTime)
        o.kv("digestS3Object", ownKey)
        o.kv("digestPublicKeyFingerprint", World.hexId(&rng, "", 32))
        o.kv("digestSignatureAlgorithm", "SHA256withRSA")
        let times = logFiles.map { ($0.info.startTime, $0.info.endTime - 1) }
        if let newest = times.map(\.1).max(), let oldest = times.map(\.0).min() {
            o.key("newestEventTime"); o.isoTime(newest * 1000)
            o.key("oldestEventTime"); o.isoTime(oldest * 1000)
        } else {
            o.null("newestEventTime"); o.null("oldestEventTime")
        }
        o.kv("previousDigestS3Bucket", config.bucket)
        o.kv("previousDigestS3Object", key(startTime))
        o.kv("previousDigestHashValue", World.hexId(&rng, "", 64))
        o.kv("previousDigestHashAlgorithm", "SHA-256")
        o.kv("previousDigestSignature", World.hexId(&rng, "", 512))
        o.openArray("logFiles")
        for f in logFiles {
            o.element()
            o.kv("s3Bucket", config.bucket)
            o.kv("s3Object", f.info.key)
            o.kv("hashValue", sha256Hex(f.json))
            o.kv("hashAlgorithm", "SHA-256")
            o.key("newestEventTime"); o.isoTime((f.info.endTime - 1) * 1000)
            o.key("oldestEventTime"); o.isoTime(f.info.startTime * 1000)
            o.close()
        }
        o.closeArray()
        o.close()
        return (ownKey, o.b)
    }
}

/// SHA-256 (FIPS 180-4) as lowercase hex. Small and slow-ish; used for digests only.
func sha256Hex(_ data: [UInt8]) -> String {
    let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    var msg = data
    let bitLength = UInt64(data.count) * 8
    msg.append(0x80)
    while msg.count % 64 != 56 { msg.append(0) }
    for i in (0..<8).reversed() { msg.append(UInt8((bitLength >> (UInt64(i) * 8)) & 0xFF)) }
    @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var w = [UInt32](repeating: 0, count: 64)
    for chunk in stride(from: 0, to: msg.count, by: 64) {
        for i in 0..<16 {
            let j = chunk + i * 4
            w[i] = UInt32(msg[j]) << 24 | UInt32(msg[j + 1]) << 16 | UInt32(msg[j + 2]) << 8 | UInt32(msg[j + 3])
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
        for i in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }
    var out = JSONOut()
    for v in h { out.hex(UInt64(v), digits: 8) }
    return String(decoding: out.b, as: UTF8.self)
}
