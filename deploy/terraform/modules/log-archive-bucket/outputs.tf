output "bucket_policy_statements_json" {
  description = "Merge into the bucket's policy (e.g. source_policy_documents of an aws_iam_policy_document)."
  value       = data.aws_iam_policy_document.bucket.json
}

output "key_policy_statements_json" {
  description = "Merge into the policy of the key encrypting the log files, if any."
  value       = data.aws_iam_policy_document.key.json
}

output "notification_prefixes" {
  description = "Key prefixes announced to Tripline."
  value       = local.prefixes
}
