#!/usr/bin/env python3
"""Writes the seed corpus Fuzz/corpus/<target>/ (committed; run again only to change the seeds).

Seeds are the nastiest cases known for each input, so even a short fuzz run and the regression replay in
`swift test` start from them: deep nesting, huge numbers, invalid UTF-8, lone surrogates, truncated and
multi-member gzip, bombs within a small cap, YAML alias bombs, deep conditions, catastrophic regexes, S3 keys
with %-escapes and `+`.
"""
import gzip
import json
import os
import shutil
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data, mtime=0):
    return gzip.compress(data, mtime=mtime)


def raw_deflate(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


EVENT = {
    "eventVersion": "1.08", "eventTime": "2024-05-01T12:00:00Z", "eventSource": "cloudtrail.amazonaws.com",
    "eventName": "StopLogging", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
    "userAgent": "aws-cli/2.15", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root",
                                                 "accountId": "111122223333"},
    "requestParameters": {"name": "management-trail"}, "responseElements": None, "eventID": "e-1",
    "recipientAccountId": "111122223333", "eventType": "AwsApiCall",
}
LOG = json.dumps({"Records": [EVENT, dict(EVENT, eventName="ConsoleLogin", eventID="e-2",
                                          additionalEventData={"MFAUsed": "No"},
                                          responseElements={"ConsoleLogin": "Success"})]}).encode()


def json_seeds():
    t = "json"
    write(t, "event.json", json.dumps(EVENT))
    write(t, "deep-arrays", "[" * 100000 + "]" * 100000)
    write(t, "deep-objects", '{"a":' * 5000 + "1" + "}" * 5000)
    write(t, "deep-unclosed", "[{" * 20000)
    write(t, "huge-numbers", "[1e999999999, -1e-999999999, 123456789012345678901234567890123456789, -0.0e+0, 0.1e1]")
    write(t, "bad-numbers", "[01, 1., .5, -, 1e, +1, 0x10, NaN, Infinity]")
    write(t, "invalid-utf8", b'{"k":"\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"}')
    write(t, "surrogates", r'["\ud800", "\udc00x", "\ud83d\ude00", "\ud83d\u0041", "\uDFFF\uD800", "\u0000"]')
    write(t, "escapes", r'{"a\"b":"\\\/\b\f\n\r\t\u001f\u2028","":""}')
    write(t, "duplicate-keys", '{"eventName":"A","eventName":"B","a":{"x":1,"x":[2]}}')
    write(t, "bom-and-trailing", b'\xef\xbb\xbf{"a":1} {"b":2}')
    write(t, "control-in-string", b'{"a":"\x01\x1f\x7f"}')
    write(t, "lone-values", "nul")
    write(t, "empty", b"")
    write(t, "long-string", '"' + "x" * 70000 + '"')


def gunzip_seeds():
    t = "gunzip"
    write(t, "log", b"\x00" + gz(LOG))
    write(t, "multi-member", b"\x00" + gz(LOG) + gz(b'{"Records":[]}'))
    write(t, "zero-padded", b"\x00" + gz(LOG) + b"\x00" * 64)
    write(t, "truncated", b"\x00" + gz(LOG)[:-20])
    write(t, "truncated-trailer", b"\x00" + gz(LOG)[:-3])
    bad_crc = bytearray(gz(LOG)); bad_crc[-6] ^= 0xFF
    write(t, "bad-crc", b"\x00" + bytes(bad_crc))
    bad_size = bytearray(gz(LOG)); bad_size[-1] ^= 0x01
    write(t, "bad-isize", b"\x00" + bytes(bad_size))
    # Bombs: 8 MiB of zeros (past the fuzz cap of 1 MiB) and 512 KiB of spaces (within it).
    write(t, "bomb-zeros", b"\x00" + gz(b"\x00" * (8 << 20)))
    write(t, "bomb-spaces", b"\x00" + gz(b" " * (512 << 10)))
    # Header fields: FEXTRA, FNAME, FCOMMENT, FHCRC, reserved flags.
    body = raw_deflate(LOG)
    trailer = struct.pack("<II", zlib.crc32(LOG), len(LOG))
    extra = b"\x04\x00abcd"
    write(t, "header-all-fields", b"\x00" + b"\x1f\x8b\x08\x1e\x00\x00\x00\x00\x00\x03" + extra + b"name\x00comment\x00"
          + b"\x00\x00" + body + trailer)
    write(t, "header-reserved-flag", b"\x00" + b"\x1f\x8b\x08\xe0\x00\x00\x00\x00\x00\x03" + body + trailer)
    write(t, "header-bad-method", b"\x00" + b"\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03" + body + trailer)
    # Raw deflate streams (mode 1): stored, fixed and dynamic blocks, bad distances.
    write(t, "raw-stored", b"\x01" + raw_deflate(LOG, 0))
    write(t, "raw-fixed", b"\x01" + raw_deflate(b"abcabcabcabc" * 3, 1))
    write(t, "raw-dynamic", b"\x01" + raw_deflate(LOG, 9))
    write(t, "raw-distance-too-far", b"\x01" + bytes([0x63, 0x00, 0x42, 0x00]))
    write(t, "raw-stored-bad-len", b"\x01" + bytes([0x01, 0x05, 0x00, 0x00, 0x00]) + b"hello")
    write(t, "raw-empty-final", b"\x01" + bytes([0x03, 0x00]))
    write(t, "raw-reserved-btype", b"\x01" + bytes([0x07, 0x00]))
    write(t, "not-gzip", b"\x00" + b"\x1f")


def records_seeds():
    t = "records"
    write(t, "log.json.gz", gz(LOG))
    write(t, "log.json", LOG)
    write(t, "array", json.dumps([EVENT, EVENT]))
    write(t, "jsonl", json.dumps(EVENT) + "\n" + "{bad\n" + json.dumps(EVENT) + "\n")
    write(t, "single-event", json.dumps(EVENT))
    write(t, "records-not-array", '{"Records":{"eventName":"StopLogging"}}')
    write(t, "records-not-first", json.dumps({"x": 1, "Records": [EVENT]}))
    write(t, "eventbridge", json.dumps({"detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail",
                                        "detail": EVENT}))
    write(t, "concatenated-documents", LOG + LOG)
    write(t, "concatenated-gzip", gz(LOG) + gz(LOG))
    write(t, "truncated-gzip", gz(LOG)[:-30])
    write(t, "truncated-json", LOG[: len(LOG) // 2])
    write(t, "deep-field", json.dumps({"Records": [dict(EVENT, requestParameters=json.loads('{"a":' * 400 + "1" + "}" * 400))]}))
    write(t, "array-valued-fields", json.dumps({"Records": [dict(EVENT, eventName=["StopLogging", "DeleteTrail"],
                                                                 eventSource=["cloudtrail.amazonaws.com"])]}))
    write(t, "bom-not-json", b"\xef\xbb\xbf\x00\x01garbage")
    write(t, "invalid-utf8-fields", b'{"Records":[{"eventName":"Stop\xffLogging","eventSource":"\xc0\xafcloudtrail"}]}')
    write(t, "bomb-gzip", gz(b"[" + b" " * (6 << 20) + b"]"))
    write(t, "long-value", json.dumps({"Records": [dict(EVENT, userAgent="a" * 70000)]}))


def rules_seeds():
    t = "rules"
    write(t, "basic.yml", """title: CloudTrail logging stopped
id: fuzz.logging-stopped
status: stable
level: high
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName:
      - StopLogging
      - DeleteTrail
  filter:
    userIdentity.type|contains: AWSService
  condition: selection and not filter
""")
    write(t, "modifiers.yml", """title: Modifiers
id: fuzz.modifiers
level: medium
detection:
  a:
    eventName|startswith: Delete
    userAgent|endswith|windash: '-x'
    sourceIPAddress|cidr:
      - 10.0.0.0/8
      - 2001:db8::/32
    requestParameters.policyDocument|contains|all:
      - '"Effect":"Allow"'
      - '"Action":"*"'
    userIdentity.arn|re: '^arn:aws:iam::[0-9]{12}:(root|user/.+)$'
    eventID|base64offset|contains: secret
    errorCode|exists: false
  b:
    - '*Mallory*'
    - 'evil'
  condition: 1 of a* or all of them or b
""")
    anchors = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 12):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        anchors += f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    write(t, "billion-laughs.yml", anchors + "title: laughs\nid: fuzz.laughs\nlevel: low\ndetection:\n  s:\n    eventName: *l\n  condition: s\n")
    write(t, "deep-not.yml", "title: deep\nid: fuzz.deep\nlevel: low\ndetection:\n  s:\n    eventName: X\n  condition: " + "not " * 20000 + "s\n")
    write(t, "deep-parens.yml", "title: deep\nid: fuzz.parens\nlevel: low\ndetection:\n  s:\n    eventName: X\n  condition: " + "(" * 20000 + "s" + ")" * 20000 + "\n")
    write(t, "deep-yaml.yml", "title: deep\nid: fuzz.yaml\ndetection:\n  s: " + "[" * 10000 + "]" * 10000 + "\n  condition: s\n")
    write(t, "catastrophic-regex.yml", "title: re\nid: fuzz.re\nlevel: low\ndetection:\n  s:\n    userAgent|re: '(a+)+$'\n    eventName|re: '(a|a)*\\1b'\n    eventSource|re: '(?=a)(?!b).*'\n  condition: s\n")
    write(t, "multi-doc.yml", "title: one\nid: fuzz.one\nlevel: low\ndetection:\n  s: {eventName: A}\n  condition: s\n---\naction: global\n---\ntitle: two\n")
    write(t, "bad-yaml.yml", "title: [unclosed\n  id: : :\n\t- tab\n")
    write(t, "tests.yml", """title: With tests
id: fuzz.tests
level: low
detection:
  s:
    eventName: CreateUser
  condition: s
tests:
  - name: matches
    match: true
    event: {"eventName": "CreateUser"}
  - name: not
    match: false
    event: {"eventName": "DeleteUser"}
""")
    write(t, "keywords-all.yml", "title: kw\nid: fuzz.kw\nlevel: low\ndetection:\n  keywords:\n    '|all':\n      - Stop\n      - Logging\n  condition: keywords\n")
    write(t, "invalid-utf8.yml", b"title: \xff\xfe\nid: fuzz.\xc0\xaf\ndetection:\n  s: {eventName: \"\xed\xa0\x80\"}\n  condition: s\n")


def regex_seeds():
    t = "regex"
    cases = [
        (0, "(a*)*b", "a" * 40), (0, "(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"), (1, "^(?:get|list|describe)", "GetObject"),
        (0, ":assumed-role/[^/]+/i-[0-9a-f]{8,17}$", "arn:aws:sts::111122223333:assumed-role/web/i-0a1b2c3d4e5f60718"),
        (0, "a[ab]{12}c", "bbababababababac"), (0, "x{2,}", "xx"), (0, "[]a]", "]"), (0, "(?=a)", "a"), (0, "\\1", "a"),
        (2, "^y|x$", "a\ny"), (4, "a.c", "a\nc"), (7, "^A.*Z$", "a\nz"), (0, "((((((((((a))))))))))", "a"),
        (0, "a{1000}", "a" * 1000), (0, "[\\d\\s]+", "1 2"), (0, "\\x41b", "Ab"), (1, "[A-Fa-f0-9-]{36}", "8C7A1D2E-0000-4000-8000-000000000001"),
        (0, "(a|ab)(c|bcd)(d*)", "abcd"), (0, "", ""), (0, "^$", ""), (0, "a|b|", "c"), (0, "[^\\w]", "\u00e9"),
        (1, "k", "\u212a"), (0, "caf\u00e9", "caf\u00e9"),
    ]
    for i, (flags, pattern, subject) in enumerate(cases):
        write(t, f"case-{i:02}", bytes([flags]) + pattern.encode() + b"\x00" + subject.encode())


def payload_seeds():
    t = "payloads"
    s3rec = {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
             "s3": {"bucket": {"name": "trail-bucket"},
                    "object": {"key": "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/a+b%2Bc%20d%25.json.gz"}}}
    s3 = {"Records": [s3rec]}
    write(t, "s3-direct", json.dumps(s3))
    write(t, "sqs-s3", json.dumps({"Records": [{"messageId": "m1", "eventSource": "aws:sqs", "body": json.dumps(s3)}]}))
    sns = {"Type": "Notification", "MessageId": "n1", "Message": json.dumps(s3)}
    write(t, "sqs-sns-s3", json.dumps({"Records": [{"messageId": "m2", "eventSource": "aws:sqs", "body": json.dumps(sns)}]}))
    write(t, "sns-direct", json.dumps({"Records": [{"EventSource": "aws:sns", "Sns": sns}]}))
    write(t, "sqs-no-message-id", json.dumps({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}))
    write(t, "s3-test-event", json.dumps({"Event": "s3:TestEvent", "Bucket": "b"}))
    write(t, "scheduled", json.dumps({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}))
    write(t, "guardduty", json.dumps({"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": {
        "id": "f1", "type": "UnauthorizedAccess:IAMUser/\u001b[31mRed", "severity": 8.5, "updatedAt": "2024-05-01T00:00:00Z",
        "service": {"action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": "198.51.100.1"}}},
                    "count": 3}, "resource": {"resourceType": "AccessKey"}}}))
    write(t, "guardduty-weird", json.dumps({"source": "aws.guardduty", "detail-type": "GuardDuty Finding",
                                             "detail": {"severity": "high", "service": {"action": [1, 2]}, "id": None}}))
    write(t, "cloudtrail-envelope", json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": EVENT}))
    write(t, "eventbridge-s3", json.dumps({"source": "aws.s3", "detail-type": "Object Created", "region": "us-east-1",
                                            "detail": {"bucket": {"name": "b"}, "object": {"key": "AWSLogs/x/CloudTrail-Digest/y.json.gz"}}}))
    write(t, "sns-nested-deep", json.dumps(sns) if False else '{"Type":"Notification","Message":' + json.dumps(json.dumps(sns)) + "}")
    write(t, "key-bad-escapes", "%zz%%+%2%C3%28%ED%A0%80+%00%E2%82")
    write(t, "records-empty", '{"Records":[]}')
    write(t, "records-wrong-types", '{"Records":[{"eventSource":"aws:s3","eventName":7,"s3":{"bucket":[],"object":{"key":1}}}]}')


def sigv4_seeds():
    t = "sigv4"
    def req(method, host, path, query, headers, payload):
        return "\x00".join([method, host, path, query, headers, payload]).encode("utf-8", "surrogatepass")
    write(t, "get", req("GET", "example.amazonaws.com", "/", "", "", ""))
    write(t, "s3-key", req("PUT", "bucket.s3.amazonaws.com", "/a%20b/c+d/%2F..%2F/\u00e9", "", "content-type: text/plain", "body"))
    write(t, "query-escapes", req("GET", "sqs.us-east-1.amazonaws.com", "/", "Action=ReceiveMessage&a=&=b&&x=%zz&\u2603=\u2603", "", ""))
    write(t, "dot-segments", req("get", "h", "/./a/../../b//c/.", "", "", ""))
    write(t, "headers-odd", req("POST", "127.0.0.1:5000", "/", "", "X-Amz-Date:1\nHOST:   spaced   value  \nempty:\nx-amz-security-token: t\nauthorization: forged\n:no-name", "{}"))
    write(t, "control-chars", req("GET\r\n", "h\x00", "/\x7f\x01", "a=\r\n", "x: \x1b[31m", "\xff"))
    write(t, "long-path", req("GET", "h", "/" + "a/" * 5000, "", "", ""))


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    json_seeds(); gunzip_seeds(); records_seeds(); rules_seeds(); regex_seeds(); payload_seeds(); sigv4_seeds()
    for t in sorted(os.listdir(ROOT)):
        files = os.listdir(os.path.join(ROOT, t))
        size = sum(os.path.getsize(os.path.join(ROOT, t, f)) for f in files)
        print(f"{t}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
