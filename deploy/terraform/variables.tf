# ---------------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------------

variable "prefix" {
  description = "Name prefix for every resource. Lowercase letters, digits and hyphens."
  type        = string
  default     = "tripline"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.prefix))
    error_message = "prefix must be 2-21 characters: lowercase letters, digits, hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, ...). Part of resource names; passed to the function as TRIPLINE_ENVIRONMENT."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be 1-16 characters: lowercase letters, digits, hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags applied to every taggable resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------
# Switches
# ---------------------------------------------------------------------------------------------------

variable "enable_cloudtrail" {
  description = "Create a multi-region CloudTrail trail with its own KMS-encrypted S3 bucket. If false and enable_s3_ingestion is true, set existing_trail_bucket_name."
  type        = bool
  default     = true
}

variable "enable_logging" {
  description = "Whether the created trail is logging. Keep true on AWS; set false against moto (the provider calls StartLogging by ARN, which moto does not support)."
  type        = bool
  default     = true
}

variable "enable_s3_ingestion" {
  description = "Ingest CloudTrail log files: S3 ObjectCreated -> SQS (+DLQ) -> Lambda event source mapping."
  type        = bool
  default     = true
}

variable "enable_eventbridge" {
  description = "Ingest CloudTrail management events in near real time through an EventBridge rule on the default bus."
  type        = bool
  default     = true
}

variable "enable_polling" {
  description = "Invoke the function on a schedule so it polls CloudTrail LookupEvents (fallback path, no trail needed)."
  type        = bool
  default     = false
}

variable "enable_guardduty_findings" {
  description = "Forward GuardDuty findings (source aws.guardduty) to the function."
  type        = bool
  default     = false
}

variable "enable_alarms" {
  description = "Create CloudWatch alarms (Lambda Errors, Throttles, DLQ depth) that notify the alert topic."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------------------------------

variable "lambda_zip" {
  description = "Path to the deployment package built by scripts/package-lambda (contains `bootstrap`)."
  type        = string
  default     = "../../dist/tripline-lambda.zip"
}

variable "architecture" {
  description = "Lambda architecture. Only x86_64 packages are built today."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "lambda_memory_mb" {
  description = "Function memory in MB (CPU scales with it)."
  type        = number
  default     = 256
}

variable "lambda_timeout_seconds" {
  description = "Function timeout. The ingestion queue's visibility timeout is set to 6x this value."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout_seconds >= 3 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be between 3 and 900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency for the function; -1 leaves it unreserved. 0 would stop the function entirely and is refused: turn the enable_* switches off instead. When set, the SQS mapping's maximum concurrency follows it (sqs_maximum_concurrency) so throttling never moves healthy log files to the DLQ."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions == -1 || var.reserved_concurrent_executions >= 2
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or at least 2. 0 disables the function: every event would be throttled and end in the DLQ; 1 cannot serve the SQS mapping (it needs 2) alongside EventBridge."
  }
}

variable "sqs_maximum_concurrency" {
  description = "Most concurrent invocations the SQS mapping starts (2-1000). Default: reserved_concurrent_executions when that is set, else unlimited."
  type        = number
  default     = null

  validation {
    condition     = var.sqs_maximum_concurrency == null || try(var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000, false)
    error_message = "sqs_maximum_concurrency must be between 2 and 1000 (Lambda's limits for SQS maximum concurrency)."
  }
}

variable "role_path" {
  description = "Path of the function's IAM role."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([\\w+=,.@-]+/)*$", var.role_path))
    error_message = "role_path must begin and end with / (e.g. /security/)."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of a permissions boundary policy for the function's IAM role."
  type        = string
  default     = null
}

variable "async_maximum_retry_attempts" {
  description = "Lambda's retries of a failed asynchronous invocation (EventBridge, schedule, GuardDuty) before it goes to the DLQ (0-2)."
  type        = number
  default     = 2

  validation {
    condition     = var.async_maximum_retry_attempts >= 0 && var.async_maximum_retry_attempts <= 2
    error_message = "async_maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "async_maximum_event_age_in_seconds" {
  description = "Oldest asynchronous event Lambda still tries (60-21600 s); older ones go to the DLQ."
  type        = number
  default     = 3600

  validation {
    condition     = var.async_maximum_event_age_in_seconds >= 60 && var.async_maximum_event_age_in_seconds <= 21600
    error_message = "async_maximum_event_age_in_seconds must be between 60 and 21600."
  }
}

variable "log_level" {
  description = "LOG_LEVEL for the function (trace, debug, info, notice, warning, error)."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["trace", "debug", "info", "notice", "warning", "error", "critical"], var.log_level)
    error_message = "log_level must be one of trace, debug, info, notice, warning, error, critical."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group."
  type        = number
  default     = 30
}

variable "min_severity" {
  description = "Lowest finding severity the function alerts on (TRIPLINE_MIN_SEVERITY)."
  type        = string
  default     = "medium"

  validation {
    condition     = contains(["info", "low", "medium", "high", "critical"], var.min_severity)
    error_message = "min_severity must be one of info, low, medium, high, critical."
  }
}

variable "lookback_minutes" {
  description = "How far back each LookupEvents poll reads (TRIPLINE_LOOKBACK_MINUTES). Keep it above polling_interval_minutes so runs overlap; the dedup table absorbs the overlap."
  type        = number
  default     = 20
}

variable "polling_interval_minutes" {
  description = "Schedule of the polling rule, in minutes."
  type        = number
  default     = 15

  validation {
    condition     = var.polling_interval_minutes >= 1
    error_message = "polling_interval_minutes must be at least 1."
  }
}

variable "poll_regions" {
  description = "Regions the scheduled LookupEvents poll reads (TRIPLINE_POLL_REGIONS), each with its own checkpoint; the function may call LookupEvents in exactly these (aws:RequestedRegion). Empty: the function's region. IAM, global STS and console sign-in events are recorded only in us-east-1 (us-gov-west-1, cn-north-1): list it to poll them; they are taken once however many regions are listed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.poll_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", r))])
    error_message = "poll_regions must be region names such as us-east-1 or eu-west-1."
  }
}

variable "config_location" {
  description = "Where the function reads its tuning configuration at cold start (TRIPLINE_CONFIG): s3://bucket/key, ssm:/parameter/name (String or SecureString), or a path inside the deployment package. Empty: tripline.yml bundled in the package, if any. The function may read exactly that object or parameter."
  type        = string
  default     = ""

  validation {
    condition = (
      var.config_location == "" ||
      can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", var.config_location)) ||
      can(regex("^ssm:/[a-zA-Z0-9_.\\-/]+$", var.config_location)) ||
      can(regex("^[^:]+$", var.config_location))
    )
    error_message = "config_location must be s3://bucket/key, ssm:/name (a name starting with /) or a path in the package."
  }
}

variable "config_kms_key_arn" {
  description = "Customer-managed KMS key encrypting the configuration (SSE-KMS object or SecureString parameter). The function may decrypt with it only through S3 or SSM in its region (kms:ViaService). Empty: no customer key."
  type        = string
  default     = ""

  validation {
    condition     = var.config_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.config_kms_key_arn))
    error_message = "config_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "retention_days" {
  description = "How long findings are remembered in DynamoDB (TTL on expires_at, TRIPLINE_RETENTION_DAYS)."
  type        = number
  default     = 90
}

# ---------------------------------------------------------------------------------------------------
# Ingestion
# ---------------------------------------------------------------------------------------------------

variable "event_patterns_file" {
  description = "EventBridge patterns compiled from the enabled rules by `tripline eventbridge-pattern` (default: deploy/eventbridge-patterns.json). One EventBridge rule per pattern."
  type        = string
  default     = null
}

variable "event_pattern_max_length" {
  description = "Largest EventBridge pattern the account accepts: 2048 by default quota, 4096 after a quota increase."
  type        = number
  default     = 2048

  validation {
    condition     = contains([2048, 4096], var.event_pattern_max_length)
    error_message = "event_pattern_max_length must be 2048 (the default quota) or 4096 (after an increase)."
  }
}

variable "eventbridge_fallback_pattern" {
  description = "Deploy the pattern that routes every CloudTrail event for rules no pattern can filter (listed in the patterns file). Default: only without S3 ingestion (the log files run those rules otherwise)."
  type        = bool
  default     = null
}

variable "eventbridge_read_only_events" {
  description = "Let the patterns whose rules need read-only calls (Describe*, Get*, List*: secret and parameter reads, enumeration) receive them in real time (rule state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS). Reads are most management events: this raises invocations. Default: only without S3 ingestion (the log files see reads anyway)."
  type        = bool
  default     = null
}

variable "existing_trail_bucket_name" {
  description = "Name of an existing CloudTrail bucket to ingest from when enable_cloudtrail = false. The module REPLACES that bucket's notification configuration."
  type        = string
  default     = ""
}

variable "existing_trail_kms_key_arn" {
  description = "KMS key that encrypts the existing trail's log files (the function gets kms:Decrypt on it). Empty if SSE-S3."
  type        = string
  default     = ""
}

variable "existing_trail_bucket_account_id" {
  description = "Account that owns existing_trail_bucket_name when it is not this one (a log-archive account). That account applies deploy/terraform/modules/log-archive-bucket; the ingest queue admits its notifications."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([0-9]{12})?$", var.existing_trail_bucket_account_id))
    error_message = "existing_trail_bucket_account_id must be a 12-digit account id or empty."
  }
}

variable "is_organization_trail" {
  description = "Make the created trail an organisation trail (apply in the management account or a delegated administrator). Needs organization_id."
  type        = bool
  default     = false
}

variable "organization_id" {
  description = "AWS Organizations id (o-...). The bucket policy admits AWSLogs/<organization_id>/ for an organisation trail."
  type        = string
  default     = ""
}

variable "trail_s3_key_prefix" {
  description = "S3 key prefix of the trail's log files (CloudTrail's S3KeyPrefix), without trailing slash. Empty for none."
  type        = string
  default     = ""
}

variable "s3_notification_prefix" {
  description = "Override the S3 notification key prefix. Default: <trail_s3_key_prefix/>AWSLogs/<account>/CloudTrail/ (which excludes CloudTrail-Digest/). Set e.g. to \"AWSLogs/\" for organization trails."
  type        = string
  default     = null
}

variable "sqs_batch_size" {
  description = "Messages (log-file notifications) per invocation from the ingestion queue."
  type        = number
  default     = 10
}

variable "sqs_max_receive_count" {
  description = "Deliveries of a notification before it is moved to the dead-letter queue. At least 5 (AWS's guidance for Lambda consumers: a receive that meets a busy function still counts)."
  type        = number
  default     = 5

  validation {
    condition     = var.sqs_max_receive_count >= 5
    error_message = "sqs_max_receive_count must be at least 5, or throttled or timed-out receives move healthy log files to the DLQ."
  }
}

# ---------------------------------------------------------------------------------------------------
# Trail bucket
# ---------------------------------------------------------------------------------------------------

variable "trail_log_retention_days" {
  description = "Expire CloudTrail log files (and digests) from the trail bucket after this many days. 0 keeps them forever."
  type        = number
  default     = 365
}

variable "trail_log_ia_transition_days" {
  description = "Move log files to STANDARD_IA after this many days; 0 (default) disables it. CloudTrail files are small (KBs): IA bills at least 128 KB per object and $0.01 per 1,000 transitions, which usually costs more than it saves (docs/cost.md)."
  type        = number
  default     = 0
}

variable "require_tls" {
  description = "Deny requests without TLS on the trail bucket, the ingest queue and the alert topic (aws:SecureTransport). Keep true; only a plain-HTTP test server (moto, which evaluates bucket policies) needs false."
  type        = bool
  default     = true
}

variable "force_destroy_bucket" {
  description = "Allow `terraform destroy` to delete the trail bucket even if it holds logs. Keep false in production."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------
# Alerting and storage
# ---------------------------------------------------------------------------------------------------

variable "alert_email" {
  description = "Optional e-mail address subscribed to the alert topic (AWS sends a confirmation mail)."
  type        = string
  default     = ""
}

variable "alert_email_min_severity" {
  description = "If set, the e-mail subscription only receives alerts of this severity or higher (SNS filter policy on the `severity` message attribute). Messages without the attribute (CloudWatch alarms) are always delivered."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "info", "low", "medium", "high", "critical"], var.alert_email_min_severity)
    error_message = "alert_email_min_severity must be empty or one of info, low, medium, high, critical."
  }
}

variable "dynamodb_deletion_protection" {
  description = "Enable deletion protection on the findings table."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before the KMS key is deleted after destroy."
  type        = number
  default     = 30
}

variable "create_kms_key" {
  description = "Create the customer-managed key for the trail and the topic. False: bring your own (kms_key_arn) whose policy holds the kms_key_policy_json output's statements."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Your key when create_kms_key = false."
  type        = string
  default     = ""
}

variable "trail_reader_role_names" {
  description = "IAM roles of this account (responders, Athena, `tripline scan s3://`) that get the trail_reader_policy_json policy: list and read the log and digest files, decrypt them."
  type        = list(string)
  default     = []
}

variable "trail_reader_account_ids" {
  description = "Other accounts whose principals may decrypt the trail's log files (key policy); they still need S3 access and an IAM policy."
  type        = list(string)
  default     = []
}

variable "create_sns_topic" {
  description = "Create the alert topic. False: bring your own (sns_topic_arn)."
  type        = bool
  default     = true
}

variable "sns_topic_arn" {
  description = "Your alert topic when create_sns_topic = false."
  type        = string
  default     = ""
}

variable "sns_topic_kms_key_arn" {
  description = "KMS key encrypting your own topic, if any (the function gets kms:GenerateDataKey and kms:Decrypt on it)."
  type        = string
  default     = ""
}
