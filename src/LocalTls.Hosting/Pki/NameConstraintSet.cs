using System.Net;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace LocalTls.Pki;

/// <summary>
/// The permitted subtrees of a root's name constraints, and the same matching rules that RFC 5280,
/// Go's crypto/x509 and OpenSSL apply: a DNS constraint <c>sslip.io</c> permits <c>sslip.io</c> and every
/// name below it.
/// </summary>
internal sealed class NameConstraintSet
{
    /// <summary>Creates a set from DNS domains and CIDR ranges.</summary>
    public NameConstraintSet(IEnumerable<string> dnsDomains, IEnumerable<string> ipRanges)
    {
        DnsDomains = [.. dnsDomains.Select(NormalizeDomain).Distinct(StringComparer.Ordinal)];
        IpRanges = [.. ipRanges.Select(IpRange.Parse).Distinct()];
    }

    private NameConstraintSet(IReadOnlyList<string> dns, IReadOnlyList<IpRange> ip)
    {
        DnsDomains = dns;
        IpRanges = ip;
    }

    /// <summary>The permitted DNS subtrees, lower case, without a leading dot.</summary>
    public IReadOnlyList<string> DnsDomains { get; }

    /// <summary>The permitted IP ranges.</summary>
    public IReadOnlyList<IpRange> IpRanges { get; }

    /// <summary>Whether a certificate for this DNS name or IP literal would pass the constraints.</summary>
    public bool Permits(string nameOrAddress)
    {
        ArgumentNullException.ThrowIfNull(nameOrAddress);
        if (IPAddress.TryParse(nameOrAddress, out var address))
        {
            return IpRanges.Any(r => r.Contains(address));
        }

        var name = nameOrAddress.TrimEnd('.').ToLowerInvariant();
        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        return DnsDomains.Any(d => name == d || name.EndsWith("." + d, StringComparison.Ordinal));
    }

    internal static string NormalizeDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var d = domain.Trim().TrimStart('.').TrimEnd('.').ToLowerInvariant();
        var labels = d.Split('.');
        if (d.Length == 0 || d.Length > 253 || labels.Any(l => !IsLdhLabel(l)))
        {
            throw new FormatException($"'{domain}' is not a DNS domain for a name constraint: write labels of letters, digits and hyphens, e.g. sslip.io or test.");
        }

        return d;
    }

    internal static bool IsLdhLabel(string label) =>
        label.Length is > 0 and <= 63
        && label[0] != '-' && label[^1] != '-'
        && label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    internal NameConstraints ToExtension()
    {
        var subtrees = DnsDomains.Select(d => new GeneralSubtree(new GeneralName(GeneralName.DnsName, d)))
            .Concat(IpRanges.Select(r => new GeneralSubtree(new GeneralName(GeneralName.IPAddress, new DerOctetString(r.ToAddressAndMask())))))
            .ToList();
        return new NameConstraints(GeneralSubtrees.GetInstance(new DerSequence(subtrees.ToArray<Asn1Encodable>())), null);
    }

    internal static NameConstraintSet? FromCertificate(Org.BouncyCastle.X509.X509Certificate certificate)
    {
        var value = certificate.GetExtensionValue(X509Extensions.NameConstraints);
        if (value is null)
        {
            return null;
        }

        var constraints = NameConstraints.GetInstance(Asn1Object.FromByteArray(value.GetOctets()));
        var dns = new List<string>();
        var ip = new List<IpRange>();
        var permitted = constraints.PermittedSubtreesValue is { } p ? Asn1Sequence.GetInstance(p.ToAsn1Object()) : new DerSequence();
        foreach (var subtree in permitted.Cast<Asn1Encodable>().Select(GeneralSubtree.GetInstance))
        {
            var name = subtree.Base;
            if (name.TagNo == GeneralName.DnsName)
            {
                dns.Add(DerIA5String.GetInstance(name.Name).GetString().TrimStart('.').ToLowerInvariant());
            }
            else if (name.TagNo == GeneralName.IPAddress)
            {
                var bytes = Asn1OctetString.GetInstance(name.Name).GetOctets();
                var half = bytes.Length / 2;
                var prefix = bytes[half..].Sum(b => BitCount(b));
                ip.Add(new IpRange(new IPAddress(bytes[..half]), prefix));
            }
        }

        return new NameConstraintSet(dns, ip);
    }

    private static int BitCount(byte b) => System.Numerics.BitOperations.PopCount(b);

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", DnsDomains.Concat(IpRanges.Select(r => r.ToString())));
}
