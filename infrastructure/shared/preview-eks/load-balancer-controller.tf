# The AWS Load Balancer Controller's permissions: the policy the controller's project publishes
# (docs/install/iam_policy.json, v2.x), with the load balancer ARNs narrowed to this account and
# region. Mutations of existing resources are limited to those the controller tagged
# `elbv2.k8s.aws/cluster` itself.

locals {
  elb_arn = "arn:${local.partition}:elasticloadbalancing:${var.aws_region}:${local.account_id}"
  ec2_arn = "arn:${local.partition}:ec2:${var.aws_region}:${local.account_id}"
  sg_arn  = "${local.ec2_arn}:security-group/*"
}

data "aws_iam_policy_document" "load_balancer_controller" {
  statement {
    sid       = "CreateTheElbServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid = "Describe"
    actions = [
      "ec2:DescribeAccountAttributes",
      "ec2:DescribeAddresses",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeVpcs",
      "ec2:DescribeVpcPeeringConnections",
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeInstances",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeTags",
      "ec2:DescribeCoipPools",
      "ec2:DescribeIpamPools",
      "ec2:DescribeRouteTables",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeListenerAttributes",
      "elasticloadbalancing:DescribeListenerCertificates",
      "elasticloadbalancing:DescribeSSLPolicies",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetGroupAttributes",
      "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTrustStores",
      "elasticloadbalancing:DescribeCapacityReservation",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeVpcSecurityGroupsAndCoipPools"
    actions   = ["ec2:GetSecurityGroupsForVpc", "ec2:GetCoipPoolUsage"]
    resources = ["${local.ec2_arn}:vpc/*", "${local.ec2_arn}:security-group/*", "${local.ec2_arn}:coip-pool/*"]
  }

  statement {
    sid = "ListCertificatesAndShieldSubscription"
    actions = [
      "acm:ListCertificates",
      "iam:ListServerCertificates",
      "shield:GetSubscriptionState",
    ]
    resources = ["*"]
  }

  # What an Ingress names or the controller discovers by host: certificates, Cognito user pools,
  # WAF web ACLs and Shield protections of this account (and region, where they are regional).
  statement {
    sid     = "CertificatesAndUserPoolsOfIngresses"
    actions = ["acm:DescribeCertificate", "iam:GetServerCertificate", "cognito-idp:DescribeUserPoolClient"]
    resources = [
      "arn:${local.partition}:acm:${var.aws_region}:${local.account_id}:certificate/*",
      "arn:${local.partition}:iam::${local.account_id}:server-certificate/*",
      "arn:${local.partition}:cognito-idp:${var.aws_region}:${local.account_id}:userpool/*",
    ]
  }

  statement {
    sid = "WafOfLoadBalancers"
    actions = [
      "waf-regional:GetWebACL",
      "waf-regional:GetWebACLForResource",
      "waf-regional:AssociateWebACL",
      "waf-regional:DisassociateWebACL",
      "wafv2:GetWebACL",
      "wafv2:GetWebACLForResource",
      "wafv2:AssociateWebACL",
      "wafv2:DisassociateWebACL",
    ]
    resources = [
      "arn:${local.partition}:waf-regional:${var.aws_region}:${local.account_id}:*",
      "arn:${local.partition}:wafv2:${var.aws_region}:${local.account_id}:*",
      "${local.elb_arn}:loadbalancer/app/*/*",
    ]
  }

  statement {
    sid       = "ShieldOfLoadBalancers"
    actions   = ["shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"]
    resources = ["arn:${local.partition}:shield::${local.account_id}:protection/*"]
  }

  statement {
    sid       = "OpenNodeSecurityGroupsToLoadBalancers"
    actions   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
    resources = [local.sg_arn]
  }

  statement {
    sid       = "CreateLoadBalancerSecurityGroups"
    actions   = ["ec2:CreateSecurityGroup"]
    resources = ["${local.ec2_arn}:*"]
  }

  statement {
    sid       = "TagSecurityGroupsOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = [local.sg_arn]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateSecurityGroup"]
    }

    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid       = "RetagOwnSecurityGroups"
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = [local.sg_arn]

    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["true"]
    }

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid       = "ChangeOwnSecurityGroups"
    actions   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"]
    resources = [local.sg_arn]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid       = "CreateTaggedLoadBalancersAndTargetGroups"
    actions   = ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
    resources = ["${local.elb_arn}:*"]

    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid = "ListenersAndRules"
    actions = [
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:CreateRule",
      "elasticloadbalancing:DeleteRule",
    ]
    resources = ["${local.elb_arn}:*"]
  }

  statement {
    sid     = "RetagOwnLoadBalancersAndTargetGroups"
    actions = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
    resources = [
      "${local.elb_arn}:targetgroup/*/*",
      "${local.elb_arn}:loadbalancer/net/*/*",
      "${local.elb_arn}:loadbalancer/app/*/*",
    ]

    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["true"]
    }

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid     = "TagListenersAndRules"
    actions = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
    resources = [
      "${local.elb_arn}:listener/net/*/*/*",
      "${local.elb_arn}:listener/app/*/*/*",
      "${local.elb_arn}:listener-rule/net/*/*/*",
      "${local.elb_arn}:listener-rule/app/*/*/*",
    ]
  }

  statement {
    sid = "ChangeOwnLoadBalancersAndTargetGroups"
    actions = [
      "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:SetIpAddressType",
      "elasticloadbalancing:SetSecurityGroups",
      "elasticloadbalancing:SetSubnets",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes",
      "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:ModifyListenerAttributes",
      "elasticloadbalancing:ModifyCapacityReservation",
      "elasticloadbalancing:ModifyIpPools",
    ]
    resources = ["${local.elb_arn}:*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid     = "TagOnCreate"
    actions = ["elasticloadbalancing:AddTags"]
    resources = [
      "${local.elb_arn}:targetgroup/*/*",
      "${local.elb_arn}:loadbalancer/net/*/*",
      "${local.elb_arn}:loadbalancer/app/*/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "elasticloadbalancing:CreateAction"
      values   = ["CreateTargetGroup", "CreateLoadBalancer"]
    }

    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid       = "RegisterTargets"
    actions   = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
    resources = ["${local.elb_arn}:targetgroup/*/*"]
  }

  statement {
    sid = "ListenerCertificatesRulesAndWaf"
    actions = [
      "elasticloadbalancing:SetWebAcl",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:AddListenerCertificates",
      "elasticloadbalancing:RemoveListenerCertificates",
      "elasticloadbalancing:ModifyRule",
    ]
    resources = ["${local.elb_arn}:*"]
  }
}

resource "aws_iam_policy" "load_balancer_controller" {
  name        = "${var.cluster_name}-load-balancer-controller"
  description = "AWS Load Balancer Controller of EKS cluster ${var.cluster_name}"
  policy      = data.aws_iam_policy_document.load_balancer_controller.json
}
