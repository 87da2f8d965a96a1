# Forwards CloudTrail events from one region's default bus to the Tripline home region's bus.
#
# IAM, STS calls to the global endpoint and sign-ins through the global sign-in endpoint are recorded in
# us-east-1 and reach EventBridge only there: deployed anywhere else, Tripline sees them only if us-east-1
# forwards them. Apply this module with a provider for us-east-1 (the default: global services only), and
# optionally once per other enabled region with `event_patterns` set to the home module's compiled patterns
# (`module.tripline.event_patterns`) to see every region in real time. The home region's own rules then match the
# forwarded events as if they had happened there.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0, < 6.0.0"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  # Services whose management events CloudTrail records in us-east-1 whatever region the caller thinks in.
  global_pattern = jsonencode({
    "detail-type" = [
      "AWS API Call via CloudTrail", "AWS Console Signin via CloudTrail", "AWS Console Action via CloudTrail",
      "AWS Service Event via CloudTrail",
    ]
    detail = { eventSource = var.global_event_sources }
  })
  patterns = length(var.event_patterns) > 0 ? var.event_patterns : { global = local.global_pattern }
  name     = "${var.name}-fwd-${local.region}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "forward" {
  name                 = local.name
  description          = "EventBridge forwards CloudTrail events from ${local.region} to the Tripline home bus"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  tags                 = var.tags
}

data "aws_iam_policy_document" "forward" {
  statement {
    sid       = "PutEventsOnHomeBus"
    actions   = ["events:PutEvents"]
    resources = [var.home_event_bus_arn]
  }
}

resource "aws_iam_role_policy" "forward" {
  name   = local.name
  role   = aws_iam_role.forward.id
  policy = data.aws_iam_policy_document.forward.json
}

resource "aws_cloudwatch_event_rule" "forward" {
  for_each = local.patterns

  name           = "${local.name}-${each.key}"
  description    = "CloudTrail events for Tripline in ${var.home_region}."
  event_bus_name = "default"
  event_pattern  = each.value
  state          = lookup(var.event_pattern_states, each.key, "ENABLED")
  tags           = var.tags

  lifecycle {
    precondition {
      condition     = var.home_region != local.region
      error_message = "The forwarder runs in another region than the home region (${var.home_region}): events there are already on the home bus."
    }
  }
}

resource "aws_cloudwatch_event_target" "forward" {
  for_each = aws_cloudwatch_event_rule.forward

  rule      = each.value.name
  target_id = "tripline-home-bus"
  arn       = var.home_event_bus_arn
  role_arn  = aws_iam_role.forward.arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 20
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_queue_arn == null ? [] : [1]
    content {
      arn = var.dead_letter_queue_arn
    }
  }
}
