# The deploy role's permissions, one managed policy per area (a managed policy holds at most
# 6,144 characters). Every mutating action is scoped: to `idp-*` names where the service names
# its resources, else to resources tagged `idp:managed = true` (`aws:ResourceTag`) and to
# requests that tag what they create (`aws:RequestTag`). Reads (`Describe*`, `Get*`, `List*`)
# are not scoped. `idp-core/tests/aws_access.rs` checks these documents against the resource
# types of every template.

locals {
  ec2 = "arn:${local.partition}:ec2:*:${local.account}"
  elb = "arn:${local.partition}:elasticloadbalancing:*:${local.account}"
  ecs = "arn:${local.partition}:ecs:*:${local.account}"

  deploy_documents = {
    network   = data.aws_iam_policy_document.deploy_network.json
    compute   = data.aws_iam_policy_document.deploy_compute.json
    edge      = data.aws_iam_policy_document.deploy_edge.json
    iam-state = data.aws_iam_policy_document.deploy_iam_state.json
  }
}

data "aws_iam_policy_document" "deploy_network" {
  # checkov:skip=CKV_AWS_356: only the read statement (ec2:Describe*) has resource "*": EC2's Describe actions take no resource; every change is scoped by tag.
  statement {
    sid       = "Ec2Read"
    actions   = ["ec2:Describe*"]
    resources = ["*"]
  }

  statement {
    sid = "Ec2CreateTagged"
    actions = [
      "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateInternetGateway", "ec2:CreateNatGateway",
      "ec2:AllocateAddress", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateFlowLogs",
      "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
    ]
    resources = ["${local.ec2}:*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/idp:managed"
      values   = ["true"]
    }
  }

  statement {
    sid       = "Ec2TagOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2}:*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values = [
        "CreateVpc", "CreateSubnet", "CreateInternetGateway", "CreateNatGateway", "AllocateAddress",
        "CreateRouteTable", "CreateSecurityGroup", "CreateFlowLogs", "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
      ]
    }
  }

  # A VPC's default security group exists before Terraform tags it (aws_default_security_group).
  statement {
    sid       = "Ec2AdoptDefaultSecurityGroup"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2}:security-group/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/idp:managed"
      values   = ["true"]
    }
  }

  statement {
    sid = "Ec2ChangeManaged"
    actions = [
      "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:AssociateRouteTable",
      "ec2:DisassociateRouteTable", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute",
      "ec2:ModifyVpcAttribute", "ec2:ModifySubnetAttribute", "ec2:AuthorizeSecurityGroupIngress",
      "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
      "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", "ec2:CreateTags",
      "ec2:DeleteTags", "ec2:DeleteVpc", "ec2:DeleteSubnet", "ec2:DeleteInternetGateway",
      "ec2:DeleteNatGateway", "ec2:ReleaseAddress", "ec2:DisassociateAddress",
      "ec2:DeleteRouteTable", "ec2:DeleteSecurityGroup", "ec2:DeleteFlowLogs",
    ]
    resources = ["${local.ec2}:*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/idp:managed"
      values   = ["true"]
    }
  }
}

data "aws_iam_policy_document" "deploy_compute" {
  statement {
    sid = "ComputeRead"
    actions = [
      "ecs:Describe*", "ecs:List*", "elasticloadbalancing:Describe*", "logs:Describe*",
      "logs:ListTagsForResource", "logs:ListTagsLogGroup", "events:Describe*", "events:List*",
      "cloudwatch:Describe*", "cloudwatch:ListTagsForResource", "lambda:Get*", "lambda:List*",
      "apigateway:GET",
    ]
    resources = ["*"]
  }

  statement {
    sid = "EcsNamed"
    actions = [
      "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:UpdateCluster", "ecs:PutClusterCapacityProviders",
      "ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:TagResource", "ecs:UntagResource",
    ]
    resources = [
      "${local.ecs}:cluster/idp-*", "${local.ecs}:service/idp-*/*", "${local.ecs}:task-definition/idp-*:*",
    ]
  }

  # RegisterTaskDefinition takes no resource; it is held to tagged requests instead.
  statement {
    sid       = "EcsRegisterTaggedTaskDefinitions"
    actions   = ["ecs:RegisterTaskDefinition"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/idp:managed"
      values   = ["true"]
    }
  }

  # DeregisterTaskDefinition takes neither a resource nor a condition key.
  statement {
    sid       = "EcsDeregisterTaskDefinitions"
    actions   = ["ecs:DeregisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid = "LoadBalancersNamed"
    actions = [
      "elasticloadbalancing:Create*", "elasticloadbalancing:Delete*", "elasticloadbalancing:Modify*",
      "elasticloadbalancing:Set*", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
      "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
    ]
    resources = [
      "${local.elb}:loadbalancer/app/idp-*/*", "${local.elb}:targetgroup/idp-*/*",
      "${local.elb}:listener/app/idp-*/*", "${local.elb}:listener-rule/app/idp-*/*",
    ]
  }

  statement {
    sid = "LogGroupsNamed"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
      "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
      "logs:FilterLogEvents", "logs:GetLogEvents",
    ]
    resources = [for group in ["/ecs/idp-*", "/vpc/idp-*", "/aws/rds/instance/idp-*", "/aws/lambda/idp-*", "/aws/apigateway/idp-*"] :
      "arn:${local.partition}:logs:*:${local.account}:log-group:${group}"
    ]
  }

  statement {
    sid = "SchedulesAlarmsAndFunctionsNamed"
    actions = [
      "events:PutRule", "events:DeleteRule", "events:EnableRule", "events:DisableRule", "events:PutTargets",
      "events:RemoveTargets", "events:TagResource", "events:UntagResource", "cloudwatch:PutMetricAlarm",
      "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "lambda:CreateFunction",
      "lambda:DeleteFunction", "lambda:Update*", "lambda:AddPermission", "lambda:RemovePermission",
      "lambda:PublishVersion", "lambda:*Alias", "lambda:*FunctionConcurrency", "lambda:*FunctionUrlConfig",
      "lambda:TagResource", "lambda:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:events:*:${local.account}:rule/idp-*",
      "arn:${local.partition}:cloudwatch:*:${local.account}:alarm:idp-*",
      "arn:${local.partition}:lambda:*:${local.account}:function:idp-*",
    ]
  }

  statement {
    sid       = "HttpApisTagged"
    actions   = ["apigateway:POST"]
    resources = ["arn:${local.partition}:apigateway:*::/apis", "arn:${local.partition}:apigateway:*::/domainnames", "arn:${local.partition}:apigateway:*::/tags/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/idp:managed"
      values   = ["true"]
    }
  }

  statement {
    sid     = "HttpApisManaged"
    actions = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
    # A domain name's API mappings are its sub-resources (`/domainnames/{name}/apimappings`).
    resources = ["arn:${local.partition}:apigateway:*::/apis/*", "arn:${local.partition}:apigateway:*::/domainnames/*", "arn:${local.partition}:apigateway:*::/tags/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/idp:managed"
      values   = ["true"]
    }
  }
}

data "aws_iam_policy_document" "deploy_edge" {
  statement {
    sid = "EdgeAndDataRead"
    actions = [
      "rds:Describe*", "rds:ListTagsForResource", "s3:GetBucket*", "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration",
      "s3:ListBucket", "cloudfront:Get*", "cloudfront:List*", "acm:DescribeCertificate",
      "acm:ListCertificates", "acm:ListTagsForCertificate", "route53:Get*", "route53:List*",
      "kms:DescribeKey", "secretsmanager:DescribeSecret",
    ]
    resources = ["*"]
  }

  statement {
    sid = "DatabasesNamed"
    actions = [
      "rds:CreateDBInstance", "rds:DeleteDBInstance", "rds:ModifyDBInstance", "rds:RebootDBInstance",
      "rds:CreateDBSubnetGroup", "rds:DeleteDBSubnetGroup", "rds:ModifyDBSubnetGroup",
      "rds:CreateDBParameterGroup", "rds:DeleteDBParameterGroup", "rds:ModifyDBParameterGroup",
      "rds:AddTagsToResource", "rds:RemoveTagsFromResource",
    ]
    resources = [for kind in ["db", "subgrp", "pg"] : "arn:${local.partition}:rds:*:${local.account}:${kind}:idp-*"]
  }

  # CreateDBInstance also names the option group it joins (the engine's default).
  statement {
    sid       = "DatabasesJoinDefaultOptionGroups"
    actions   = ["rds:CreateDBInstance"]
    resources = ["arn:${local.partition}:rds:*:${local.account}:og:default*"]
  }

  # `manage_master_user_password`: RDS creates and rotates `rds!db-…` with the caller's rights.
  statement {
    sid       = "DatabaseMasterSecrets"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:RotateSecret"]
    resources = ["arn:${local.partition}:secretsmanager:*:${local.account}:secret:rds!db-*"]
  }

  statement {
    sid = "BucketsNamed"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucket*", "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration", "s3:PutAccelerateConfiguration", "s3:PutObject", "s3:DeleteObject",
      "s3:DeleteObjectVersion", "s3:GetObject", "s3:ListBucketVersions",
    ]
    resources = ["arn:${local.partition}:s3:::idp-*", "arn:${local.partition}:s3:::idp-*/*"]
  }

  statement {
    sid = "DistributionsTagged"
    actions = [
      "cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:TagResource",
    ]
    resources = ["arn:${local.partition}:cloudfront::${local.account}:distribution/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/idp:managed"
      values   = ["true"]
    }
  }

  statement {
    sid = "DistributionsManaged"
    actions = [
      "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution", "cloudfront:CreateInvalidation",
      "cloudfront:TagResource", "cloudfront:UntagResource",
    ]
    resources = ["arn:${local.partition}:cloudfront::${local.account}:distribution/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/idp:managed"
      values   = ["true"]
    }
  }

  # Origin access controls and cache policies carry no tags; a distribution uses them.
  statement {
    sid = "DistributionParts"
    actions = [
      "cloudfront:*OriginAccessControl", "cloudfront:*CachePolicy", "cloudfront:*ResponseHeadersPolicy",
      "cloudfront:*Function",
    ]
    resources = [for kind in ["origin-access-control", "cache-policy", "response-headers-policy", "function"] :
      "arn:${local.partition}:cloudfront::${local.account}:${kind}/*"
    ]
  }

  # RequestCertificate takes no resource; it is held to tagged requests.
  statement {
    sid       = "CertificatesRequestTagged"
    actions   = ["acm:RequestCertificate"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/idp:managed"
      values   = ["true"]
    }
  }

  statement {
    sid       = "CertificatesTagOnRequest"
    actions   = ["acm:AddTagsToCertificate"]
    resources = ["arn:${local.partition}:acm:*:${local.account}:certificate/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/idp:managed"
      values   = ["true"]
    }
  }

  statement {
    sid       = "CertificatesManaged"
    actions   = ["acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"]
    resources = ["arn:${local.partition}:acm:*:${local.account}:certificate/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/idp:managed"
      values   = ["true"]
    }
  }

  # Records only under the preview domain (no record changes when it is not set).
  statement {
    sid       = "PreviewRecords"
    actions   = ["route53:ChangeResourceRecordSets"]
    resources = ["arn:${local.partition}:route53:::hostedzone/*"]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
      values   = var.preview_domain == "" ? ["-"] : ["*.${var.preview_domain}", var.preview_domain]
    }
  }
}

data "aws_iam_policy_document" "deploy_iam_state" {
  statement {
    sid = "EnvironmentRolesWithBoundary"
    actions = [
      "iam:CreateRole", "iam:PutRolePermissionsBoundary",
    ]
    resources = ["arn:${local.partition}:iam::${local.account}:role/idp-*"]

    condition {
      test     = "ArnLike"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arns]
    }
  }

  statement {
    sid = "EnvironmentRoles"
    actions = [
      "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:TagRole",
      "iam:UntagRole",
    ]
    resources = ["arn:${local.partition}:iam::${local.account}:role/idp-*"]
  }

  statement {
    sid       = "PassEnvironmentRoles"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/idp-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "events.amazonaws.com", "vpc-flow-logs.amazonaws.com", "lambda.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/aws-service-role/*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com"]
    }
  }

  statement {
    sid       = "KeepBoundaries"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket}", "arn:${local.partition}:s3:::${var.state_bucket}/*"]
  }

  statement {
    sid = "LockTable"
    actions = [
      "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
      "dynamodb:DeleteItem", "dynamodb:Query",
    ]
    resources = ["arn:${local.partition}:dynamodb:*:${local.account}:table/${var.lock_table}"]
  }

  statement {
    sid = "PreviewImages"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:BatchDeleteImage",
      "ecr:ListImages", "ecr:DescribeImages",
    ]
    resources = ["arn:${local.partition}:ecr:*:${local.account}:repository/idp-*"]
  }

  statement {
    sid       = "AccountReads"
    actions   = ["ecr:GetAuthorizationToken", "ce:GetCostAndUsage", "tag:GetResources", "sts:GetCallerIdentity"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "read_only" {
  # checkov:skip=CKV_AWS_356: the read-only role's Describe/List/Filter actions on ECS, load balancers, logs and metrics span every environment; it can change nothing.
  statement {
    sid = "StatusLogsCost"
    actions = [
      "ecs:Describe*", "ecs:List*", "elasticloadbalancing:Describe*", "logs:Describe*",
      "logs:FilterLogEvents", "logs:GetLogEvents", "cloudwatch:Describe*", "cloudwatch:GetMetricData",
      "ce:GetCostAndUsage", "tag:GetResources", "ecr:DescribeImages", "ecr:ListImages",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:ListBucket", "s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket}", "arn:${local.partition}:s3:::${var.state_bucket}/*"]
  }

  statement {
    sid       = "ReadLocks"
    actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query"]
    resources = ["arn:${local.partition}:dynamodb:*:${local.account}:table/${var.lock_table}"]
  }
}
