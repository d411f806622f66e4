output "cluster_name" {
  description = "Name of the EKS cluster (`aws eks update-kubeconfig --name …`)."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "URL of the cluster's Kubernetes API (private unless endpoint_public_access_cidrs is set)."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64-encoded CA certificate of the Kubernetes API."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_version" {
  description = "Kubernetes version of the control plane."
  value       = aws_eks_cluster.this.version
}

output "oidc_issuer" {
  description = "URL of the cluster's OIDC issuer (IRSA)."
  value       = local.oidc_issuer
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider of the cluster's issuer; the Federated principal of IRSA roles."
  value       = aws_iam_openid_connect_provider.cluster.arn
}

output "node_group_name" {
  description = "Name of the managed node group."
  value       = aws_eks_node_group.default.node_group_name
}

output "node_role_arn" {
  description = "ARN of the nodes' IAM role."
  value       = aws_iam_role.node.arn
}

output "load_balancer_controller_role_arn" {
  description = "ARN of the role the AWS Load Balancer Controller's service account (kube-system/aws-load-balancer-controller) assumes; its `eks.amazonaws.com/role-arn` annotation."
  value       = aws_iam_role.load_balancer_controller.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the cluster's Kubernetes secrets and control-plane logs."
  value       = aws_kms_key.cluster.arn
}

output "vpc_id" {
  description = "VPC the cluster runs in (the load balancer controller's `vpcId`)."
  value       = aws_eks_cluster.this.vpc_config[0].vpc_id
}
