# Plan-only root configuration for the switch combinations Tests/DeployTests plans against moto_server:
# organisation trail, an existing bucket in a log-archive account (with modules/log-archive-bucket applied
# there), global or every-region forwarding (modules/event-forwarder in us-east-1), the fallback pattern,
# bring-your-own key and topic, concurrency limits. Never applied; loopback only, dummy credentials.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "moto_endpoint" {
  type = string
  validation {
    condition     = can(regex("^http://127\\.0\\.0\\.1:[0-9]{1,5}$", var.moto_endpoint))
    error_message = "moto_endpoint must be http://127.0.0.1:<port>."
  }
}

variable "lambda_zip" {
  type = string
}

variable "environment" {
  type    = string
  default = "switches"
}

variable "home_region" {
  type    = string
  default = "eu-west-1"
}

variable "is_organization_trail" {
  type    = bool
  default = false
}

variable "cross_account_bucket" {
  type    = bool
  default = false
}

variable "forwarding" {
  description = "off, global (us-east-1's global services) or all (us-east-1 forwards the compiled patterns)."
  type        = string
  default     = "off"
}

variable "eventbridge_fallback_pattern" {
  type    = bool
  default = null
}

variable "eventbridge_read_only_events" {
  type    = bool
  default = null
}

variable "bring_your_own_key_and_topic" {
  type    = bool
  default = false
}

variable "reserved_concurrent_executions" {
  type    = number
  default = -1
}

variable "with_destinations" {
  description = "Slack (SSM), PagerDuty and a signed webhook (Secrets Manager), Security Hub and an EventBridge bus, with a customer managed key for the secrets."
  type        = bool
  default     = false
}

variable "poll_regions" {
  type    = list(string)
  default = []
}

variable "config_location" {
  type    = string
  default = ""
}

variable "config_kms_key_arn" {
  type    = string
  default = ""
}

variable "event_pattern_max_length" {
  type    = number
  default = 2048
}

locals {
  endpoints = {
    cloudtrail = var.moto_endpoint, cloudwatch = var.moto_endpoint, cloudwatchlogs = var.moto_endpoint,
    dynamodb   = var.moto_endpoint, eventbridge = var.moto_endpoint, iam = var.moto_endpoint, kms = var.moto_endpoint,
    lambda     = var.moto_endpoint, s3 = var.moto_endpoint, sns = var.moto_endpoint, sqs = var.moto_endpoint,
    sts        = var.moto_endpoint,
  }
  log_archive_account = "210987654321"
  organization_id     = "o-exampleorg1"
}

provider "aws" {
  region                      = var.home_region
  access_key                  = "testing"
  secret_key                  = "testing"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  endpoints {
    cloudtrail     = local.endpoints.cloudtrail
    cloudwatch     = local.endpoints.cloudwatch
    cloudwatchlogs = local.endpoints.cloudwatchlogs
    dynamodb       = local.endpoints.dynamodb
    eventbridge    = local.endpoints.eventbridge
    iam            = local.endpoints.iam
    kms            = local.endpoints.kms
    lambda         = local.endpoints.lambda
    s3             = local.endpoints.s3
    sns            = local.endpoints.sns
    sqs            = local.endpoints.sqs
    sts            = local.endpoints.sts
  }
}

# us-east-1, where global services' events are recorded.
provider "aws" {
  alias                       = "us_east_1"
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  endpoints {
    eventbridge = local.endpoints.eventbridge
    iam         = local.endpoints.iam
    sts         = local.endpoints.sts
  }
}

# The log-archive account (moto answers for any account; only the plan is checked).
provider "aws" {
  alias                       = "log_archive"
  region                      = var.home_region
  access_key                  = "testing"
  secret_key                  = "testing"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  endpoints {
    s3  = local.endpoints.s3
    sts = local.endpoints.sts
  }
}

module "tripline" {
  source = "../.."

  prefix      = "tripline"
  environment = var.environment
  lambda_zip  = var.lambda_zip

  enable_cloudtrail     = !var.cross_account_bucket
  enable_logging        = false
  is_organization_trail = var.is_organization_trail
  organization_id       = var.is_organization_trail ? local.organization_id : ""

  existing_trail_bucket_name       = var.cross_account_bucket ? "org-log-archive-cloudtrail" : ""
  existing_trail_bucket_account_id = var.cross_account_bucket ? local.log_archive_account : ""
  existing_trail_kms_key_arn       = var.cross_account_bucket ? "arn:aws:kms:${var.home_region}:${local.log_archive_account}:key/00000000-0000-0000-0000-000000000000" : ""
  s3_notification_prefix           = var.cross_account_bucket ? "AWSLogs/${local.organization_id}/" : null

  eventbridge_fallback_pattern = var.eventbridge_fallback_pattern
  eventbridge_read_only_events = var.eventbridge_read_only_events
  event_pattern_max_length     = var.event_pattern_max_length
  enable_polling               = true
  poll_regions                 = var.poll_regions
  config_location              = var.config_location
  config_kms_key_arn           = var.config_kms_key_arn
  enable_guardduty_findings    = true

  create_kms_key        = !var.bring_your_own_key_and_topic
  kms_key_arn           = var.bring_your_own_key_and_topic ? "arn:aws:kms:${var.home_region}:123456789012:key/11111111-1111-1111-1111-111111111111" : ""
  create_sns_topic      = !var.bring_your_own_key_and_topic
  sns_topic_arn         = var.bring_your_own_key_and_topic ? "arn:aws:sns:${var.home_region}:123456789012:secops-alerts" : ""
  sns_topic_kms_key_arn = var.bring_your_own_key_and_topic ? "arn:aws:kms:${var.home_region}:123456789012:key/22222222-2222-2222-2222-222222222222" : ""

  reserved_concurrent_executions = var.reserved_concurrent_executions
  role_path                      = "/security/"
  trail_reader_role_names        = ["incident-responders"]

  force_destroy_bucket = true
  require_tls          = false

  slack_webhook_secret_arn         = var.with_destinations ? "arn:aws:ssm:${var.home_region}:123456789012:parameter/tripline/slack-url" : ""
  pagerduty_routing_key_secret_arn = var.with_destinations ? "arn:aws:secretsmanager:${var.home_region}:123456789012:secret:tripline/pagerduty-AbCdEf" : ""
  pagerduty_min_severity           = "critical"
  webhook_url_secret_arn           = var.with_destinations ? "arn:aws:secretsmanager:${var.home_region}:123456789012:secret:tripline/siem-url-GhIjKl" : ""
  webhook_signing_key_secret_arn   = var.with_destinations ? "arn:aws:ssm:${var.home_region}:123456789012:parameter/tripline/siem-key" : ""
  enable_securityhub_destination   = var.with_destinations
  eventbridge_bus_arn              = var.with_destinations ? "arn:aws:events:${var.home_region}:123456789012:event-bus/security" : ""
  destination_secrets_kms_key_arn  = var.with_destinations ? "arn:aws:kms:${var.home_region}:123456789012:key/33333333-3333-3333-3333-333333333333" : ""
}

module "forward_us_east_1" {
  source    = "../../modules/event-forwarder"
  count     = var.forwarding == "off" ? 0 : 1
  providers = { aws = aws.us_east_1 }

  name                 = "tripline-${var.environment}"
  home_region          = var.home_region
  home_event_bus_arn   = module.tripline.event_bus_arn
  event_patterns       = var.forwarding == "all" ? module.tripline.event_patterns : {}
  event_pattern_states = var.forwarding == "all" ? module.tripline.event_pattern_states : {}
}

module "log_archive" {
  source    = "../../modules/log-archive-bucket"
  count     = var.cross_account_bucket ? 1 : 0
  providers = { aws = aws.log_archive }

  bucket_name        = "org-log-archive-cloudtrail"
  organization_id    = local.organization_id
  account_ids        = ["111111111111", "222222222222"]
  tripline_queue_arn = module.tripline.queue_arn
  tripline_role_arn  = module.tripline.lambda_role_arn
}
