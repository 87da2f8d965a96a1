import TriplineCore

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

/// SHA-256 as lowercase hex (the core's: one implementation, checked against the standard and swift-crypto).
func sha256Hex(_ data: [UInt8]) -> String {
    var out = JSONOut()
    for byte in Hashing.sha256(data) { out.hex(UInt64(byte), digits: 2) }
    return String(decoding: out.b, as: UTF8.self)
}
