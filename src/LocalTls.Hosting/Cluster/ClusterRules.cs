using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace LocalTls.Cluster;

/// <summary>Checks for cluster settings, used by the builder extensions (and so by <c>localtls manifests</c>).</summary>
internal static class ClusterRules
{
    /// <summary>
    /// An IPv4 address as four dotted numbers, or an IPv6 address. IPAddress.TryParse alone would also take the
    /// short IPv4 forms "10" (0.0.0.10) and "192.168.5" (192.168.0.5), which are never what someone meant.
    /// </summary>
    public static bool TryParseAddress([NotNullWhen(true)] string? text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        return text is not null && (text.Contains(':') || text.Count(c => c == '.') == 3) && IPAddress.TryParse(text, out address);
    }

    /// <summary>The address the cluster's ingress answers on, from which sslip.io names are made.</summary>
    /// <exception cref="ArgumentException">The text is not an IP address.</exception>
    public static IPAddress RequireIngressAddress(string? address, string? paramName) =>
        TryParseAddress(address, out var ip)
            ? ip
            : throw new ArgumentException($"'{address}' is not an IP address: write the ingress's address, e.g. \"192.168.5.2\" (kubectl get svc -n kube-system traefik shows it).", paramName);
}
