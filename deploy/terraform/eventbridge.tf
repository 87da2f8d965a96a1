# EventBridge: CloudTrail events (real time, one rule per compiled pattern), the polling schedule, GuardDuty
# findings -> the function.

resource "aws_cloudwatch_event_rule" "cloudtrail" {
  for_each = local.event_patterns

  name           = "${local.name}-ct-${each.key}"
  description    = "CloudTrail events some enabled Tripline rule can fire on (compiled by `tripline eventbridge-pattern`)."
  event_bus_name = "default"
  event_pattern  = each.value.pattern
  state          = each.value.state
  tags           = local.tags

  lifecycle {
    precondition {
      condition     = length(each.value.pattern) <= var.event_pattern_max_length
      error_message = "EventBridge pattern ${each.key} in ${local.event_patterns_file} is ${length(each.value.pattern)} characters; the account's quota (event_pattern_max_length) is ${var.event_pattern_max_length}. Regenerate with `tripline eventbridge-pattern --max-length ${var.event_pattern_max_length}`."
    }
  }
}

resource "aws_cloudwatch_event_rule" "poll" {
  count = var.enable_polling ? 1 : 0

  name                = "${local.name}-poll"
  description         = "Invoke Tripline to poll CloudTrail LookupEvents."
  schedule_expression = var.polling_interval_minutes == 1 ? "rate(1 minute)" : "rate(${var.polling_interval_minutes} minutes)"
  tags                = local.tags
}

resource "aws_cloudwatch_event_rule" "guardduty" {
  count = var.enable_guardduty_findings ? 1 : 0

  name           = "${local.name}-guardduty"
  description    = "GuardDuty findings to Tripline."
  event_bus_name = "default"
  event_pattern = jsonencode({
    source        = ["aws.guardduty"]
    "detail-type" = ["GuardDuty Finding"]
  })
  tags = local.tags
}

locals {
  event_rules = merge(
    { for k, r in aws_cloudwatch_event_rule.cloudtrail : "ct-${k}" => r },
    var.enable_polling ? { poll = aws_cloudwatch_event_rule.poll[0] } : {},
    var.enable_guardduty_findings ? { guardduty = aws_cloudwatch_event_rule.guardduty[0] } : {},
  )
  # Keys known at plan time (for_each cannot wait for the rules' ARNs).
  event_rule_keys = concat(
    [for k in keys(local.event_patterns) : "ct-${k}"],
    var.enable_polling ? ["poll"] : [],
    var.enable_guardduty_findings ? ["guardduty"] : [],
  )
  event_rule_arns = [for r in values(local.event_rules) : r.arn]
}

resource "aws_cloudwatch_event_target" "lambda" {
  for_each = toset(local.event_rule_keys)

  rule      = local.event_rules[each.key].name
  target_id = "tripline-lambda"
  arn       = aws_lambda_function.this.arn

  # EventBridge retries a failed delivery (throttled or unavailable function) for up to an hour, then dead-letters.
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 20
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq[0].arn
  }
}

resource "aws_lambda_permission" "events" {
  for_each = aws_cloudwatch_event_target.lambda

  statement_id  = "AllowEventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = local.event_rules[each.key].arn
}
