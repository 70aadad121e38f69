using System.Net;
using LocalTls.Sslip;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A host name under sslip.io (or nip.io) that resolves to an address embedded in it: the cluster's ingress
/// (<c>app.192.168.5.2.sslip.io</c>) or, without a cluster, this machine (<c>app.127.0.0.1.sslip.io</c>).
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="prefix">The labels before the address, e.g. <c>app</c>.</param>
public sealed class SslipHostnameResource(string name, string prefix) : Resource(name)
{
    /// <summary>The labels before the address.</summary>
    public string Prefix { get; } = prefix;

    /// <summary>The cluster whose ingress address the name embeds; <see langword="null"/> for this machine.</summary>
    public KubeconfigClusterResource? Cluster { get; internal set; }

    /// <summary>An explicit address, overriding the cluster's ingress address (or loopback on the host).</summary>
    public IPAddress? Address { get; internal set; }

    /// <summary>The zone: <c>sslip.io</c> or <c>nip.io</c>.</summary>
    public string Zone { get; internal set; } = SslipHostname.DefaultZone;

    /// <summary>The address the name embeds, when known: explicit, else the cluster's ingress, else loopback on the host.</summary>
    public IPAddress? ResolvedAddress => Address ?? (Cluster is null ? IPAddress.Loopback : Cluster.IngressAddress);

    /// <summary>The full name, or <see langword="null"/> while the cluster's ingress address is unknown.</summary>
    public string? Hostname => ResolvedAddress is { } address ? SslipHostname.Create(Prefix, address, Zone).Hostname : null;
}
