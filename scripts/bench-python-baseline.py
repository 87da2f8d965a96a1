#!/usr/bin/env python3
"""The seed projects' approach, for comparison: gzip + json + a list of per-rule Python predicates.

Usage: bench-python-baseline.py FILE.json.gz... ; prints one JSON line with events, seconds, events_per_s, matches.
The predicates mirror what the seeds' Lambdas do: for every event, every rule checks eventSource/eventName and a
field or two. Built from the same API names Tripline's catalog watches, so the work per event is comparable.
"""
import gzip, json, sys, time

NAMES = """StopLogging DeleteTrail UpdateTrail PutEventSelectors CreateUser CreateAccessKey CreateLoginProfile
UpdateLoginProfile AttachUserPolicy AttachRolePolicy AttachGroupPolicy PutUserPolicy PutRolePolicy PutGroupPolicy
CreatePolicyVersion SetDefaultPolicyVersion UpdateAssumeRolePolicy CreateRole DeleteRolePolicy DeleteUserPolicy
AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress CreateSecurityGroup
DeleteSecurityGroup CreateNetworkAclEntry DeleteNetworkAcl ReplaceNetworkAclEntry CreateRoute DeleteRoute
CreateVpc DeleteVpc ModifyVpcAttribute CreateInternetGateway AttachInternetGateway DisableKey ScheduleKeyDeletion
PutBucketPolicy PutBucketAcl DeleteBucket DeleteBucketPolicy PutBucketPublicAccessBlock DeleteBucketEncryption
StopConfigurationRecorder DeleteDeliveryChannel DeleteDetector UpdateDetector DeleteFlowLogs ModifySnapshotAttribute
ModifyImageAttribute ModifyDBSnapshotAttribute TerminateInstances DeleteDBInstance LeaveOrganization
ConsoleLogin GetSecretValue GetPasswordData DeactivateMFADevice CreateSAMLProvider DeleteLogGroup DeleteAlarms
DisableRule DeleteRule CreateFunctionUrlConfig AddPermission UpdateFunctionCode RunInstances SendCommand
StartSession CreateKeyPair ImportKeyPair GetSessionToken GetFederationToken EnableSerialConsoleAccess
PutBucketLogging DisableEbsEncryptionByDefault DeleteResolverQueryLogConfig CreateTrafficMirrorSession
ExportTableToPointInTime DeleteBackupVault PutBucketVersioning PutBucketReplication DeleteAccountPublicAccessBlock
UpdateAccountPasswordPolicy DeleteAccountPasswordPolicy AssumeRoot CreateOpenIDConnectProvider PassRole
AssociateIamInstanceProfile ReplaceIamInstanceProfile CreateInstanceExportTask StartExportTask CopyDBSnapshot
DeleteDBCluster DeleteFileSystem DisableDomainTransferLock TransferDomainToAnotherAwsAccount BatchUpdateFindings
DisableSecurityHub CreateIPSet CreateThreatIntelSet""".split()

def make_rule(name):
    return lambda e: e.get("eventName") == name and "errorCode" not in e

RULES = [make_rule(n) for n in NAMES]
RULES.append(lambda e: (e.get("userIdentity") or {}).get("type") == "Root" and "invokedBy" not in (e.get("userIdentity") or {}))
RULES.append(lambda e: str(e.get("errorCode", "")).startswith("AccessDenied") or "UnauthorizedOperation" in str(e.get("errorCode", "")))

def main(paths):
    events = matches = 0
    start = time.perf_counter()
    for path in paths:
        with gzip.open(path, "rb") as f:
            doc = json.load(f)
        for e in doc.get("Records", []):
            events += 1
            for rule in RULES:
                if rule(e):
                    matches += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"events": events, "seconds": seconds, "events_per_s": events / seconds if seconds else 0,
                      "matches": matches, "rules": len(RULES)}))

if __name__ == "__main__":
    main(sys.argv[1:])
