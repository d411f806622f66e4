# The platform's own access to AWS: GitHub Actions authenticates with its OIDC token (no stored
# keys), assumes the deploy role (environments) or the read-only role (list, status, logs), and
# every role an environment creates carries its repository's permissions boundary.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  issuer    = trimprefix(var.oidc_issuer_url, "https://")

  deploy_subjects = flatten([for repo in var.repositories : concat(
    [for branch in var.deploy_branches : "repo:${repo}:ref:refs/heads/${branch}"],
    [for env in var.deploy_environments : "repo:${repo}:environment:${env}"],
  )])
  read_only_subjects = concat(
    local.deploy_subjects,
    var.read_only_pull_requests ? [for repo in var.repositories : "repo:${repo}:pull_request"] : [],
  )

  # `owner/name` → the policy name suffix `owner+name` (GitHub names never contain `+`).
  boundary_names = { for repo in var.repositories : repo => "${var.name_prefix}-boundary-${replace(repo, "/", "+")}" }
  boundary_arns  = "arn:${local.partition}:iam::${local.account}:policy/${var.name_prefix}-boundary-*"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = var.oidc_issuer_url
  client_id_list = ["sts.amazonaws.com"]
  # IAM trusts GitHub's issuer through its own root CAs; the thumbprint is only kept for
  # the API, which still asks for one.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]

  tags = { Name = "${var.name_prefix}-github-oidc" }
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1

  url = var.oidc_issuer_url
}

locals {
  provider_arn = one(concat(aws_iam_openid_connect_provider.github[*].arn, data.aws_iam_openid_connect_provider.github[*].arn))
}

data "aws_iam_policy_document" "assume_deploy" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = local.deploy_subjects
    }
  }
}

data "aws_iam_policy_document" "assume_read_only" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = local.read_only_subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name_prefix}-deploy"
  description          = "idp: creates, updates and destroys preview environments from GitHub Actions"
  assume_role_policy   = data.aws_iam_policy_document.assume_deploy.json
  max_session_duration = 3600

  tags = { Name = "${var.name_prefix}-deploy" }
}

resource "aws_iam_role" "read_only" {
  name                 = "${var.name_prefix}-read-only"
  description          = "idp: lists environments, their status, logs and cost from GitHub Actions"
  assume_role_policy   = data.aws_iam_policy_document.assume_read_only.json
  max_session_duration = 3600

  tags = { Name = "${var.name_prefix}-read-only" }
}

resource "aws_iam_policy" "deploy" {
  for_each = local.deploy_documents

  name        = "${var.name_prefix}-deploy-${each.key}"
  description = "idp deploy role: ${each.key}"
  policy      = each.value

  tags = { Name = "${var.name_prefix}-deploy-${each.key}" }
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = aws_iam_policy.deploy

  role       = aws_iam_role.deploy.name
  policy_arn = each.value.arn
}

resource "aws_iam_policy" "read_only" {
  name        = "${var.name_prefix}-read-only"
  description = "idp read-only role: state, status, logs, cost"
  policy      = data.aws_iam_policy_document.read_only.json

  tags = { Name = "${var.name_prefix}-read-only" }
}

resource "aws_iam_role_policy_attachment" "read_only" {
  role       = aws_iam_role.read_only.name
  policy_arn = aws_iam_policy.read_only.arn
}

resource "aws_iam_policy" "boundary" {
  for_each = local.boundary_names

  name        = each.value
  description = "idp permissions boundary of the environments of ${each.key}"
  policy      = data.aws_iam_policy_document.boundary[each.key].json

  tags = { Name = each.value, "idp:repository" = each.key }
}
