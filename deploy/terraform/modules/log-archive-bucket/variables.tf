variable "bucket_name" {
  description = "The existing CloudTrail bucket in this account."
  type        = string
}

variable "tripline_queue_arn" {
  description = "Tripline's ingest queue (the home module's `queue_arn` output)."
  type        = string
}

variable "tripline_role_arn" {
  description = "Tripline's function role (the home module's `lambda_role_arn` output)."
  type        = string
}

variable "organization_id" {
  description = "Organisation id when the bucket holds an organisation trail (keys AWSLogs/<org-id>/<account>/...)."
  type        = string
  default     = ""
}

variable "account_ids" {
  description = "Accounts whose log files to announce, one notification prefix each (keeps digests out). Empty: the whole AWSLogs/<org-id>/ prefix."
  type        = list(string)
  default     = []
}

variable "trail_s3_key_prefix" {
  description = "The trail's S3 key prefix, without trailing slash."
  type        = string
  default     = ""
}
