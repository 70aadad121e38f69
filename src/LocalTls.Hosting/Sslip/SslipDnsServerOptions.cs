using System.Net;

namespace LocalTls.Sslip;

/// <summary>Settings for <see cref="SslipDnsServer"/>.</summary>
internal sealed class SslipDnsServerOptions
{
    /// <summary>The default port: 53535 (5353 is mDNS, usually held by avahi or mDNSResponder).</summary>
    public const int DefaultPort = 53535;

    /// <summary>
    /// The loopback address and port to listen on (UDP, and TCP on the same port); 127.0.0.1:53535 by default.
    /// Port 0 picks a free port, see <see cref="SslipDnsServer.EndPoint"/>. Only loopback addresses are accepted.
    /// </summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>
    /// Also accept <see cref="IPAddress.Any"/> (all IPv4 interfaces) as <see cref="EndPoint"/>. Only for a step-ca
    /// in a container, which cannot reach the host's loopback; the server answers only its zones, never recursively.
    /// </summary>
    public bool AllowAllInterfaces { get; init; }

    /// <summary>Also answer over TCP on the same port (needed for truncated answers and <c>dig +tcp</c>). On by default.</summary>
    public bool EnableTcp { get; init; } = true;

    /// <summary>The zones to be authoritative for; <see cref="SslipHostname.DefaultZones"/> when null.</summary>
    public IReadOnlyList<string>? Zones { get; init; }

    /// <summary>
    /// Answer addresses by these rules (the ones the cluster's CoreDNS override is rendered from) instead of sslip.io's
    /// full rules; their zones replace <see cref="Zones"/>. <see langword="null"/> by default.
    /// </summary>
    public SslipAnswerRules? Rules { get; init; }

    /// <summary>
    /// TTL of A, AAAA, NS and SOA answers; 60 seconds by default.
    /// </summary>
    // 60 s: the address is a pure function of the name, so caching is always correct, yet a minute keeps
    // resolvers from holding on to answers long after this server (or its zone list) is gone.
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// TTL of TXT answers and of negative answers (NXDOMAIN / no data, via the SOA minimum); 5 seconds by default.
    /// </summary>
    // 5 s: DNS-01 challenge tokens change with every order, and a validator that looked up the TXT name just
    // before it was set must not keep a cached "no such record" for longer than a retry interval.
    public TimeSpan TxtTtl { get; init; } = TimeSpan.FromSeconds(5);
}
