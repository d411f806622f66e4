//! Teams on the shared cluster: `teams/<team>/team.yaml` and the Argo CD ApplicationSets that
//! turn every team file into its project, namespace and apps.
