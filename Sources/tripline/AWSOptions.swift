import ArgumentParser
import Foundation
import TriplineAWS

/// `--endpoint-url`, `--region`, `--profile`: how every AWS-reaching command finds AWS, the AWS CLI's way.
/// Unset options fall back to the environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_PROFILE`, the profile's region).
struct AWSOptions: ParsableArguments {
    @Option(name: .customLong("endpoint-url"), help: "AWS endpoint override (moto, LocalStack); default AWS_ENDPOINT_URL.")
    var endpointURL: String?

    @Option(help: "AWS region; default AWS_REGION, AWS_DEFAULT_REGION or the profile's region.")
    var region: String?

    @Option(help: "Profile in ~/.aws/credentials and ~/.aws/config; default AWS_PROFILE.")
    var profile: String?

    func validate() throws {
        if let endpointURL, Endpoint(url: endpointURL) == nil {
            throw ValidationError("--endpoint-url must be a URL like http://127.0.0.1:5000, got \(endpointURL)")
        }
    }

    func client(environment: [String: String] = ProcessInfo.processInfo.environment) -> AWSClient {
        var environment = environment
        if let profile { environment["AWS_PROFILE"] = profile }
        var client = AWSClient.fromEnvironment(environment)
        if let region { client.region = region }
        if let endpointURL { client.endpoints.global = endpointURL }
        return client
    }
}
