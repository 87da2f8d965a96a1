# Root configuration that deploys the Tripline module against a local moto_server.
# Used by Tests/DeployTests; also handy by hand:
#   moto_server -H 127.0.0.1 -p 5055 &
#   export TF_CLI_CONFIG_FILE=$PWD/../../offline.tfrc
#   terraform init && terraform apply -var moto_endpoint=http://127.0.0.1:5055 -var lambda_zip=/path/to.zip

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
  description = "moto_server URL. Loopback only: this configuration must never reach a real AWS endpoint."
  type        = string

  validation {
    condition     = can(regex("^http://127\\.0\\.0\\.1:[0-9]{1,5}$", var.moto_endpoint))
    error_message = "moto_endpoint must be http://127.0.0.1:<port>."
  }
}

variable "lambda_zip" {
  description = "Deployment package. moto stores it but cannot run it (no Docker), so any zip will do."
  type        = string
  default     = "../../../../dist/tripline-lambda.zip"
}

variable "prefix" {
  type    = string
  default = "tripline"
}

variable "environment" {
  type    = string
  default = "moto"
}

provider "aws" {
  region = "us-east-1"

  # Dummy credentials, explicitly: never pick up real ones from the environment.
  access_key = "testing"
  secret_key = "testing"

  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    cloudtrail     = var.moto_endpoint
    cloudwatch     = var.moto_endpoint
    cloudwatchlogs = var.moto_endpoint
    dynamodb       = var.moto_endpoint
    eventbridge    = var.moto_endpoint
    iam            = var.moto_endpoint
    kms            = var.moto_endpoint
    lambda         = var.moto_endpoint
    s3             = var.moto_endpoint
    sns            = var.moto_endpoint
    sqs            = var.moto_endpoint
    sts            = var.moto_endpoint
  }
}

module "tripline" {
  source = "../.."

  prefix      = var.prefix
  environment = var.environment
  lambda_zip  = var.lambda_zip

  # Everything on, so the test exercises every resource.
  enable_cloudtrail         = true
  enable_logging            = false # StartLogging by ARN hangs against moto.
  enable_s3_ingestion       = true
  enable_eventbridge        = true
  enable_polling            = true
  enable_guardduty_findings = true
  enable_alarms             = true

  alert_email              = "secops@example.com"
  alert_email_min_severity = "high"
  force_destroy_bucket     = true
  # moto serves plain HTTP and evaluates bucket policies: the TLS-only deny would refuse every PutObject.
  require_tls                  = false
  kms_key_deletion_window_days = 7
}

output "stack" {
  description = "All module outputs, as one object (the deploy test reads this)."
  value = {
    sns_topic_arn         = module.tripline.sns_topic_arn
    lambda_function_arn   = module.tripline.lambda_function_arn
    lambda_function_name  = module.tripline.lambda_function_name
    eventbridge_rule_arns = jsonencode(module.tripline.eventbridge_rule_arns)
    polling_rule_arn      = module.tripline.polling_rule_arn
    guardduty_rule_arn    = module.tripline.guardduty_rule_arn
    trail_name            = module.tripline.trail_name
    trail_bucket_name     = module.tripline.trail_bucket_name
    trail_log_prefix      = module.tripline.trail_log_prefix
    dynamodb_table_name   = module.tripline.dynamodb_table_name
    queue_url             = module.tripline.queue_url
    dlq_url               = module.tripline.dlq_url
    kms_key_arn           = module.tripline.kms_key_arn
    log_group_name        = module.tripline.log_group_name
    lambda_role_arn       = module.tripline.lambda_role_arn
    queue_arn             = module.tripline.queue_arn
    dlq_arn               = module.tripline.dlq_arn
    trail_arn             = module.tripline.trail_arn
    trail_bucket_arn      = module.tripline.trail_bucket_arn
    dynamodb_table_arn    = module.tripline.dynamodb_table_arn
  }
}
