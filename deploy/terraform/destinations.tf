# Alert destinations beyond the SNS topic (docs/destinations.md). Each one is off until its variable is set.
# Secrets (webhook URLs, routing keys, signing keys) are given by ARN -- an SSM parameter
# (arn:...:ssm:<region>:<account>:parameter/<name>) or a Secrets Manager secret -- never by value: the function reads
# them at cold start, and its role may read exactly those ARNs (and decrypt with destination_secrets_kms_key_arn
# when set). Each destination reaches the function as one TRIPLINE_DESTINATION_<NAME> variable (JSON); once any is
# configured the SNS topic becomes one destination among them, so e-mail keeps working.
# Routing beyond a minimum severity (rule ids, tags, accounts) is written in the configuration file.

variable "slack_webhook_secret_arn" {
  description = "ARN of the SSM parameter or Secrets Manager secret holding the Slack incoming-webhook URL. Empty: no Slack."
  type        = string
  default     = ""
}

variable "slack_min_severity" {
  description = "Lowest severity sent to Slack."
  type        = string
  default     = "medium"
}

variable "teams_webhook_secret_arn" {
  description = "ARN of the SSM parameter or Secrets Manager secret holding the Microsoft Teams Workflows webhook URL. Empty: no Teams."
  type        = string
  default     = ""
}

variable "teams_min_severity" {
  description = "Lowest severity sent to Teams."
  type        = string
  default     = "medium"
}

variable "pagerduty_routing_key_secret_arn" {
  description = "ARN of the SSM parameter or Secrets Manager secret holding the PagerDuty Events API v2 routing key. Empty: no PagerDuty."
  type        = string
  default     = ""
}

variable "pagerduty_min_severity" {
  description = "Lowest severity that pages."
  type        = string
  default     = "high"
}

variable "webhook_url_secret_arn" {
  description = "ARN of the SSM parameter or Secrets Manager secret holding the generic webhook's URL. Empty: no webhook."
  type        = string
  default     = ""
}

variable "webhook_signing_key_secret_arn" {
  description = "ARN of the SSM parameter or Secrets Manager secret holding the webhook's HMAC-SHA256 signing key (X-Tripline-Signature). Empty: unsigned."
  type        = string
  default     = ""
}

variable "webhook_min_severity" {
  description = "Lowest severity sent to the webhook."
  type        = string
  default     = "medium"
}

variable "enable_securityhub_destination" {
  description = "Import each alert into Security Hub (BatchImportFindings, this account and region). Security Hub must be enabled."
  type        = bool
  default     = false
}

variable "securityhub_min_severity" {
  description = "Lowest severity imported into Security Hub."
  type        = string
  default     = "low"
}

variable "eventbridge_bus_arn" {
  description = "ARN of an EventBridge bus that receives a `Tripline Alert` event per alert. Empty: none."
  type        = string
  default     = ""
}

variable "eventbridge_min_severity" {
  description = "Lowest severity put on the bus."
  type        = string
  default     = "info"
}

variable "destination_secrets_kms_key_arn" {
  description = "Customer managed KMS key that encrypts the destination secrets (SecureString parameters, secrets). Empty: AWS managed keys, which need no grant."
  type        = string
  default     = ""
}

locals {
  destination_secret_arns = compact([
    var.slack_webhook_secret_arn, var.teams_webhook_secret_arn, var.pagerduty_routing_key_secret_arn,
    var.webhook_url_secret_arn, var.webhook_signing_key_secret_arn,
  ])
  destination_ssm_arns            = [for a in local.destination_secret_arns : a if split(":", a)[2] == "ssm"]
  destination_secretsmanager_arns = [for a in local.destination_secret_arns : a if split(":", a)[2] == "secretsmanager"]

  securityhub_product_arn = "arn:${local.partition}:securityhub:${local.region}:${local.account_id}:product/${local.account_id}/default"

  # name => one destination, as the function reads it (Sources/TriplineConfig/Destinations.swift).
  extra_destinations = merge(
    var.slack_webhook_secret_arn == "" ? {} : {
      SLACK = { name = "slack", type = "slack", webhook_url = var.slack_webhook_secret_arn, route = { min_severity = var.slack_min_severity } }
    },
    var.teams_webhook_secret_arn == "" ? {} : {
      TEAMS = { name = "teams", type = "teams", webhook_url = var.teams_webhook_secret_arn, route = { min_severity = var.teams_min_severity } }
    },
    var.pagerduty_routing_key_secret_arn == "" ? {} : {
      PAGERDUTY = { name = "pagerduty", type = "pagerduty", routing_key = var.pagerduty_routing_key_secret_arn, route = { min_severity = var.pagerduty_min_severity } }
    },
    var.webhook_url_secret_arn == "" ? {} : {
      WEBHOOK = merge(
        { name = "webhook", type = "webhook", url = var.webhook_url_secret_arn, route = { min_severity = var.webhook_min_severity } },
        var.webhook_signing_key_secret_arn == "" ? {} : { signing_key = var.webhook_signing_key_secret_arn },
      )
    },
    !var.enable_securityhub_destination ? {} : {
      SECURITYHUB = { name = "securityhub", type = "securityhub", account_id = local.account_id, route = { min_severity = var.securityhub_min_severity } }
    },
    var.eventbridge_bus_arn == "" ? {} : {
      EVENTBRIDGE = { name = "eventbridge", type = "eventbridge", event_bus = var.eventbridge_bus_arn, route = { min_severity = var.eventbridge_min_severity } }
    },
  )
  # With other destinations, the topic is one of them (it is the default only while there are none).
  # TRIPLINE_DESTINATION_<NAME> => one destination as JSON.
  destination_environment = {
    for k, v in merge(local.extra_destinations, { SNS = { name = "sns", type = "sns", topic_arn = local.sns_topic_arn } }) :
    "TRIPLINE_DESTINATION_${k}" => jsonencode(v) if length(local.extra_destinations) > 0
  }
}

check "destination_settings" {
  assert {
    condition = alltrue([
      for s in [var.slack_min_severity, var.teams_min_severity, var.pagerduty_min_severity, var.webhook_min_severity, var.securityhub_min_severity, var.eventbridge_min_severity] :
      contains(local.severities, s)
    ])
    error_message = "Destination minimum severities must be one of info, low, medium, high, critical."
  }
  assert {
    condition     = alltrue([for a in local.destination_secret_arns : can(regex("^arn:[^:]+:(ssm|secretsmanager):[^:]+:[0-9]{12}:(parameter/|secret:).+", a))])
    error_message = "Destination secrets are given by the ARN of an SSM parameter or a Secrets Manager secret."
  }
  assert {
    condition     = var.webhook_signing_key_secret_arn == "" || var.webhook_url_secret_arn != ""
    error_message = "webhook_signing_key_secret_arn needs webhook_url_secret_arn."
  }
}

# Exactly the secrets named above, the key that encrypts them, and the destinations' own calls.
data "aws_iam_policy_document" "destinations" {
  dynamic "statement" {
    for_each = length(local.destination_ssm_arns) > 0 ? [1] : []
    content {
      sid       = "ReadDestinationParameters"
      actions   = ["ssm:GetParameter"]
      resources = local.destination_ssm_arns
    }
  }
  dynamic "statement" {
    for_each = length(local.destination_secretsmanager_arns) > 0 ? [1] : []
    content {
      sid       = "ReadDestinationSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.destination_secretsmanager_arns
    }
  }
  dynamic "statement" {
    for_each = var.destination_secrets_kms_key_arn != "" && length(local.destination_secret_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptDestinationSecrets"
      actions   = ["kms:Decrypt"]
      resources = [var.destination_secrets_kms_key_arn]
    }
  }
  dynamic "statement" {
    for_each = var.enable_securityhub_destination ? [1] : []
    content {
      sid       = "ImportFindings"
      actions   = ["securityhub:BatchImportFindings"]
      resources = [local.securityhub_product_arn]
    }
  }
  dynamic "statement" {
    for_each = var.eventbridge_bus_arn != "" ? [1] : []
    content {
      sid       = "PutAlertEvents"
      actions   = ["events:PutEvents"]
      resources = [var.eventbridge_bus_arn]
    }
  }
}

resource "aws_iam_role_policy" "destinations" {
  count  = length(local.extra_destinations) > 0 && length(local.destination_secret_arns) + (var.enable_securityhub_destination ? 1 : 0) + (var.eventbridge_bus_arn != "" ? 1 : 0) > 0 ? 1 : 0
  name   = "${local.name}-destinations"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.destinations.json
}
