using Aspire.Hosting.ApplicationModel;
using LocalTls;
using LocalTls.Cluster;

namespace Aspire.Hosting;

/// <summary>Adds a Kubernetes cluster (k3s) that LocalTls provisions into.</summary>
public static class KubeconfigClusterBuilderExtensions
{
    /// <summary>Adds a cluster reached through a kubeconfig (the current context unless one is named).</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <example>
    /// <code>
    /// var k3s = builder.AddKubeconfigCluster("k3s").WithIngressAddress("192.168.5.2");
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> AddKubeconfigCluster(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The AppHost's own name tells its objects apart from another AppHost's in the same cluster.
        var resource = new KubeconfigClusterResource(name) { AppIdentity = KubernetesNames.LabelValueFrom(builder.Environment.ApplicationName) };
        LocalTlsWiring.Ensure(builder);
        LocalTlsWiring.AddHealthCheck(builder, resource);
        return LocalTlsResources.Add(builder, resource, "KubernetesCluster", "Cloud", [new(LocalTlsProperties.IngressClass, resource.IngressClassName)]);
    }

    /// <summary>Uses a kubeconfig file and, optionally, one of its contexts.</summary>
    /// <example>
    /// <code>
    /// builder.AddKubeconfigCluster("k3s").WithKubeconfig("~/.kube/colima.yaml", context: "colima");
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithKubeconfig(this IResourceBuilder<KubeconfigClusterResource> builder, string path, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = path.StartsWith('~') ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..].TrimStart('/', '\\')) : path;
        builder.Resource.KubeconfigPath = Path.GetFullPath(full);
        builder.Resource.Context = string.IsNullOrWhiteSpace(context) ? null : context;
        return builder;
    }

    /// <summary>
    /// Uses the kubeconfig another resource hands out as its connection string, once that resource is healthy: how
    /// CommunityToolkit.Aspire.Hosting.K3s and .Kind give out the cluster they run from the AppHost.
    /// </summary>
    /// <param name="builder">The cluster.</param>
    /// <param name="source">The resource whose connection string is a kubeconfig path.</param>
    /// <param name="context">A context of that kubeconfig; <see langword="null"/> for its current one.</param>
    /// <example>
    /// <code>
    /// var k3s = builder.AddK3sCluster("k3s");                 // CommunityToolkit.Aspire.Hosting.K3s
    /// builder.AddKubeconfigCluster("cluster").WithKubeconfigFrom(k3s);
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithKubeconfigFrom(this IResourceBuilder<KubeconfigClusterResource> builder, IResourceBuilder<IResourceWithConnectionString> source, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);
        builder.Resource.KubeconfigSource = source.Resource;
        builder.Resource.KubeconfigPath = null;
        builder.Resource.Context = string.IsNullOrWhiteSpace(context) ? null : context;
        return builder.WithAnnotation(new WaitAnnotation(source.Resource, WaitType.WaitUntilHealthy));
    }

    /// <summary>Sets the address the cluster's ingress answers on; sslip.io names embed it.</summary>
    /// <exception cref="ArgumentException">The text is not an IP address.</exception>
    /// <example>
    /// <code>
    /// builder.AddKubeconfigCluster("k3s").WithIngressAddress("192.168.5.2");   // app.192.168.5.2.sslip.io
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithIngressAddress(this IResourceBuilder<KubeconfigClusterResource> builder, string address)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.IngressAddress = ClusterRules.RequireIngressAddress(address, nameof(address));
        return builder;
    }

    /// <summary>Sets the IngressClass for HTTP-01 solvers (k3s: <c>traefik</c>, ingress-nginx: <c>nginx</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddKubeconfigCluster("k3s").WithIngressClass("nginx");
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithIngressClass(this IResourceBuilder<KubeconfigClusterResource> builder, string ingressClassName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.IngressClassName = KubernetesNames.RequireSubdomain(ingressClassName, "IngressClass name", nameof(ingressClassName));
        return builder;
    }

    /// <summary>
    /// Names this AppHost in the cluster: the value of the <c>app.kubernetes.io/part-of</c> label on every object
    /// LocalTls applies, which pruning and <see cref="WithCleanupOnStop"/> select on. The default is the AppHost's
    /// application name; set one when two AppHosts share a name, or to keep a name across renames.
    /// </summary>
    /// <param name="builder">The cluster.</param>
    /// <param name="identity">A Kubernetes label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit.</param>
    /// <exception cref="ArgumentException">The identity is not a valid label value.</exception>
    /// <example>
    /// <code>
    /// builder.AddKubeconfigCluster("k3s").WithAppIdentity("shop-dev");
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithAppIdentity(this IResourceBuilder<KubeconfigClusterResource> builder, string identity)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.AppIdentity = KubernetesNames.RequireLabelValue(identity, "app identity", nameof(identity));
        return builder;
    }

    /// <summary>
    /// Deletes what LocalTls created in this cluster (this AppHost's objects only: step-ca, its Secrets and volume
    /// claim, issuers, certificates, and a namespace left empty) when the AppHost stops. Without it everything stays,
    /// so the CA's database and issued certificates survive a restart.
    /// </summary>
    /// <param name="builder">The cluster.</param>
    /// <example>
    /// <code>
    /// builder.AddKubeconfigCluster("k3s").WithCleanupOnStop();
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithCleanupOnStop(this IResourceBuilder<KubeconfigClusterResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.CleanupOnStop = true;
        return builder;
    }

    /// <summary>
    /// Makes pods resolve sslip.io and nip.io names without the internet, on k3s: LocalTls adds its own key
    /// (<c>localtls.server</c>) to <c>kube-system/coredns-custom</c>, whose <c>*.server</c> keys k3s's CoreDNS imports,
    /// and names carrying a loopback address (<c>web.127.0.0.1.sslip.io</c>) resolve to the ingress controller's
    /// Service instead, so HTTP-01 validation reaches the ingress rather than the validating pod. Keys others wrote are
    /// never touched. Opt-in because it changes DNS for every pod of the cluster and outlives the AppHost; on a cluster
    /// whose CoreDNS does not import that ConfigMap (not k3s), nothing is written and the cluster resource says so.
    /// </summary>
    /// <param name="builder">The cluster.</param>
    /// <example>
    /// <code>
    /// var k3s = builder.AddKubeconfigCluster("k3s").WithSslipDns();
    /// var web = k3s.AddSslipHostname("web");   // resolves inside the cluster, offline
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithSslipDns(this IResourceBuilder<KubeconfigClusterResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.SslipDns = true;
        return builder;
    }

    /// <summary>
    /// Installs cert-manager when the cluster has none: at run time, the upstream static manifest of that release
    /// (<c>https://github.com/cert-manager/cert-manager/releases/download/v{version}/cert-manager.yaml</c>) is downloaded
    /// and applied with server-side apply, then issuers and certificates wait for its CRDs and webhook as usual. A
    /// cert-manager that already answers is left as it is. When the download fails (offline) or the API server refuses
    /// a document, the issuers and certificates say so, with the command that installs it by hand.
    /// </summary>
    /// <param name="builder">The cluster.</param>
    /// <param name="version">The release, without the <c>v</c>, e.g. <c>1.21.1</c> (the release LocalTls is tested against).</param>
    /// <exception cref="ArgumentException">The version is not a cert-manager release version.</exception>
    /// <example>
    /// <code>
    /// var k3s = builder.AddKubeconfigCluster("k3s").WithCertManagerInstall("1.21.1");
    /// </code>
    /// </example>
    public static IResourceBuilder<KubeconfigClusterResource> WithCertManagerInstall(this IResourceBuilder<KubeconfigClusterResource> builder, string version)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.CertManagerInstallVersion = CertManagerInstall.RequireVersion(version, nameof(version));
        return builder;
    }
}
