output "rule_arns" {
  description = "Forwarding rules, by pattern name."
  value       = { for k, r in aws_cloudwatch_event_rule.forward : k => r.arn }
}

output "role_arn" {
  description = "Role EventBridge assumes to put events on the home bus."
  value       = aws_iam_role.forward.arn
}
