namespace LocalTls.Cluster;

/// <summary>
/// Where LocalTls's sslip.io override for k3s's CoreDNS lives: its own key in the ConfigMap whose <c>*.server</c>
/// keys k3s's Corefile imports. One source for the writer (the cluster target) and the readers (Diagnose, doctor).
/// </summary>
internal static class CoreDnsNames
{
    public const string Namespace = "kube-system";
    public const string ConfigMap = "coredns-custom";
    public const string Key = "localtls.server";
}
