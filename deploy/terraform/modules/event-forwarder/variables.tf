variable "name" {
  description = "Name prefix (the home module's `<prefix>-<environment>`)."
  type        = string
}

variable "home_region" {
  description = "Region of the Tripline deployment."
  type        = string
}

variable "home_event_bus_arn" {
  description = "The home region's default event bus (the home module's `event_bus_arn` output)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/", var.home_event_bus_arn))
    error_message = "home_event_bus_arn must be an event bus ARN."
  }
}

variable "event_patterns" {
  description = "Patterns to forward, by name (the home module's `event_patterns` output for every-region forwarding). Empty: the global services' events only."
  type        = map(string)
  default     = {}
}

variable "event_pattern_states" {
  description = "Rule state per pattern name (the home module's `event_pattern_states` output); patterns not named are ENABLED. Read-only calls (Describe*, Get*, List*) are forwarded only by rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for s in values(var.event_pattern_states) : contains(["ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"], s)])
    error_message = "event_pattern_states values must be ENABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS."
  }
}

variable "global_event_sources" {
  description = "Event sources whose events are recorded in us-east-1 only."
  type        = list(string)
  default = [
    "iam.amazonaws.com", "sts.amazonaws.com", "signin.amazonaws.com", "organizations.amazonaws.com",
    "account.amazonaws.com", "cloudfront.amazonaws.com", "route53.amazonaws.com", "waf.amazonaws.com",
    "globalaccelerator.amazonaws.com", "support.amazonaws.com",
  ]
}

variable "dead_letter_queue_arn" {
  description = "SQS queue for events EventBridge could not forward (it must allow events.amazonaws.com from these rules)."
  type        = string
  default     = null
}

variable "role_path" {
  type    = string
  default = "/"
}

variable "role_permissions_boundary" {
  type    = string
  default = null
}

variable "tags" {
  type    = map(string)
  default = {}
}
