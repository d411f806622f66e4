//! The objects of one environment's namespace on a shared cluster (template `k8s-namespace`).
