using System.Net;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Kubernetes cluster (k3s or any other) that LocalTls provisions into: step-ca, cert-manager issuers and
/// certificates. Reached through a kubeconfig and context; its ingress address makes the sslip.io names.
/// </summary>
/// <param name="name">The resource name.</param>
public sealed class KubeconfigClusterResource(string name) : Resource(name)
{
    /// <summary>The ingress class k3s ships (Traefik).</summary>
    public const string DefaultIngressClassName = "traefik";

    /// <summary>The kubeconfig file; <see langword="null"/> for <c>$KUBECONFIG</c> or <c>~/.kube/config</c>.</summary>
    public string? KubeconfigPath { get; internal set; }

    /// <summary>The kubeconfig context; <see langword="null"/> for the current context.</summary>
    public string? Context { get; internal set; }

    /// <summary>A resource whose connection string is the kubeconfig path (CommunityToolkit's K3s and Kind hand theirs out so).</summary>
    internal IResourceWithConnectionString? KubeconfigSource { get; set; }

    /// <summary>
    /// The address the cluster's ingress answers on (the seed's Colima VM: 192.168.5.2), from which sslip.io
    /// names are made. <see langword="null"/> until set or detected.
    /// </summary>
    public IPAddress? IngressAddress { get; internal set; }

    /// <summary>The IngressClass HTTP-01 solvers use: <c>traefik</c> on k3s, <c>nginx</c> with ingress-nginx.</summary>
    public string IngressClassName { get; internal set; } = DefaultIngressClassName;

    /// <summary>
    /// Who in the cluster the objects belong to: the value of the <c>app.kubernetes.io/part-of</c> label on every
    /// object LocalTls renders, so that pruning and clean-up touch this AppHost's objects only. The AppHost's
    /// application name by default; <see langword="null"/> renders no such label (nothing is then pruned).
    /// </summary>
    public string? AppIdentity { get; internal set; }

    /// <summary>Whether LocalTls deletes what it created in this cluster when the AppHost stops (off by default: the CA's state persists).</summary>
    public bool CleanupOnStop { get; internal set; }
    /// <summary>Whether LocalTls writes its sslip.io server block into k3s's CoreDNS (<c>WithSslipDns</c>).</summary>
    internal bool SslipDns { get; set; }

    /// <summary>The cert-manager release to install when it is missing (<c>WithCertManagerInstall</c>), e.g. <c>1.21.1</c>.</summary>
    internal string? CertManagerInstallVersion { get; set; }
}
