using System.Net;

namespace LocalTls.Sslip;

/// <summary>
/// What sslip.io and nip.io names answer inside a cluster: the one rule source that both the CoreDNS override
/// (<c>Cluster/CoreDnsOverride</c>, rendered as <c>template</c> blocks) and the responder (<see cref="SslipDnsServer"/>
/// started with <see cref="SslipDnsServerOptions.Rules"/>) answer from.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A: the leftmost dashed IPv4 (<c>1-2-3-4</c>), failing that the leftmost dotted one (<c>1.2.3.4</c>), each
/// delimited by the start or end of the name, a dot or a hyphen, octets 0-255 without leading zeros (sslip.io's own
/// precedence).</item>
/// <item>An address in 127.0.0.0/8 answers <see cref="LoopbackTarget"/> instead, when set: inside a pod, 127.0.0.1 is
/// the pod itself, so step-ca's HTTP-01 fetch and cert-manager's self-check must reach the ingress instead.</item>
/// <item>Other types for such a name, and the zone apex: no data. Anything else in the zones: NXDOMAIN.</item>
/// <item>Not covered (NXDOMAIN): the hex form and dashed IPv6, which a CoreDNS template cannot convert into an address.</item>
/// </list>
/// </remarks>
internal sealed class SslipAnswerRules
{
    public SslipAnswerRules(IEnumerable<string>? zones, IPAddress? loopbackTarget)
    {
        if (loopbackTarget is not null && (loopbackTarget.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || IPAddress.IsLoopback(loopbackTarget)))
        {
            throw new ArgumentException($"The loopback target must be a non-loopback IPv4 address (the ingress Service's ClusterIP), not {loopbackTarget}.", nameof(loopbackTarget));
        }

        Zones = SslipHostname.NormalizeZones(zones);
        LoopbackTarget = loopbackTarget;
    }

    /// <summary>The zones answered, lower case, longest first.</summary>
    public IReadOnlyList<string> Zones { get; }

    /// <summary>What names carrying a 127.0.0.0/8 address answer instead; <see langword="null"/> to answer them as written.</summary>
    public IPAddress? LoopbackTarget { get; }

    /// <summary>The first octet that marks a loopback address (127.0.0.0/8).</summary>
    public const int LoopbackFirstOctet = 127;

    /// <summary>The zone <paramref name="name"/> (lower case, no trailing dot) is in, or <see langword="null"/>.</summary>
    public string? ZoneOf(string name) =>
        Zones.FirstOrDefault(z => name == z || name.EndsWith("." + z, StringComparison.Ordinal));

    /// <summary>The IPv4 address an A query for <paramref name="name"/> (lower case, no trailing dot) answers, or <see langword="null"/>.</summary>
    public IPAddress? Answer(string name)
    {
        var zone = ZoneOf(name);
        if (zone is null || name.Length == zone.Length)
        {
            return null;
        }

        var match = SslipMatcher.FindDashedOrDottedIPv4(name[..(name.Length - zone.Length - 1)]);
        if (match is not { } found)
        {
            return null;
        }

        return LoopbackTarget is not null && found.Address.GetAddressBytes()[0] == LoopbackFirstOctet ? LoopbackTarget : found.Address;
    }

    /// <summary>Whether <paramref name="name"/> exists (an address name or the apex), so that other types answer no data, not NXDOMAIN.</summary>
    public bool Exists(string name) => ZoneOf(name) is { } zone && (name.Length == zone.Length || Answer(name) is not null);
}
