using System.Diagnostics.CodeAnalysis;
using Aspire.Hosting.ApplicationModel;
using LocalTls;
using LocalTls.Cluster;
using LocalTls.Sslip;

namespace Aspire.Hosting;

/// <summary>Adds sslip.io host names: names that resolve to the address they contain, with no DNS setup.</summary>
public static class SslipBuilderExtensions
{
    /// <summary>Adds <c>{prefix}.{ingress address}.sslip.io</c> for the cluster's ingress, e.g. <c>app.192.168.5.2.sslip.io</c>.</summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="prefix">The labels before the address; default <paramref name="name"/>.</param>
    /// <example>
    /// <code>
    /// var host = k3s.AddSslipHostname("app");   // app.192.168.5.2.sslip.io
    /// </code>
    /// </example>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads extend different receivers (a cluster, the app builder), so a call can never be ambiguous.")]
    public static IResourceBuilder<SslipHostnameResource> AddSslipHostname(this IResourceBuilder<KubeconfigClusterResource> cluster, [ResourceName] string name, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var resource = new SslipHostnameResource(name, SslipRules.RequirePrefix(prefix ?? name, nameof(prefix))) { Cluster = cluster.Resource };
        return Add(cluster.ApplicationBuilder, resource).WithParentRelationship(cluster.Resource);
    }

    /// <summary>Adds <c>{prefix}.127.0.0.1.sslip.io</c>: a real host name for this machine, for TLS without a cluster.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="prefix">The labels before the address; default <paramref name="name"/>.</param>
    /// <example>
    /// <code>
    /// var web = builder.AddSslipHostname("web");   // web.127.0.0.1.sslip.io
    /// </code>
    /// </example>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads extend different receivers (a cluster, the app builder), so a call can never be ambiguous.")]
    public static IResourceBuilder<SslipHostnameResource> AddSslipHostname(this IDistributedApplicationBuilder builder, [ResourceName] string name, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return Add(builder, new SslipHostnameResource(name, SslipRules.RequirePrefix(prefix ?? name, nameof(prefix))));
    }

    /// <summary>Embeds this address instead of the cluster's ingress address (or loopback).</summary>
    /// <example>
    /// <code>
    /// k3s.AddSslipHostname("app").WithAddress("192.168.5.2");
    /// </code>
    /// </example>
    public static IResourceBuilder<SslipHostnameResource> WithAddress(this IResourceBuilder<SslipHostnameResource> builder, string address)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!ClusterRules.TryParseAddress(address, out var ip))
        {
            throw new ArgumentException($"'{address}' is not an IP address: write e.g. \"192.168.5.2\" or \"::1\".", nameof(address));
        }

        builder.Resource.Address = ip;
        return builder;
    }

    /// <summary>Uses nip.io (or another sslip-style zone) instead of sslip.io.</summary>
    /// <example>
    /// <code>
    /// builder.AddSslipHostname("web").WithZone("nip.io");   // web.127.0.0.1.nip.io
    /// </code>
    /// </example>
    public static IResourceBuilder<SslipHostnameResource> WithZone(this IResourceBuilder<SslipHostnameResource> builder, string zone)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!SslipHostname.DefaultZones.Contains(zone))
        {
            throw new ArgumentException($"'{zone}' is not a zone that answers from the name: use \"sslip.io\" or \"nip.io\".", nameof(zone));
        }

        builder.Resource.Zone = zone;
        return builder;
    }

    private static IResourceBuilder<SslipHostnameResource> Add(IDistributedApplicationBuilder builder, SslipHostnameResource resource)
    {
        var hostname = resource.Hostname;
        // The name is a pure function of its address: once that is known there is nothing to start.
        var state = hostname is null
            ? new ResourceStateSnapshot(KnownResourceStates.Waiting, KnownResourceStateStyles.Info)
            : new ResourceStateSnapshot(KnownResourceStates.Active, KnownResourceStateStyles.Success);
        return LocalTlsResources.Add(builder, resource, "SslipHostname", "Globe",
            [new(LocalTlsProperties.Hostname, hostname ?? $"{resource.Prefix}.<ingress address>.{resource.Zone}")], state);
    }
}
