using System.Net;

namespace LocalTls.Pki;

/// <summary>The key algorithm of a generated CA key.</summary>
public enum CaKeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256 with SHA-256 (the default, as <c>step certificate create</c> uses).</summary>
    EcdsaP256,

    /// <summary>RSA 3072 with SHA-256, for clients that cannot use ECDSA.</summary>
    Rsa3072,
}

/// <summary>
/// What a generated local development CA looks like: the equivalent of the flags given to
/// <c>step certificate create --profile root-ca</c> and <c>--profile intermediate-ca</c>.
/// </summary>
public sealed class CaOptions
{
    /// <summary>The DNS subtrees a default root permits: names that cannot belong to a public site.</summary>
    public static IReadOnlyList<string> DefaultPermittedDnsDomains { get; } =
    [
        "sslip.io", "nip.io", "localhost", "test", "internal", "local", "cluster.local", "svc", "home.arpa",
    ];

    /// <summary>The IP ranges a default root permits: loopback, private, shared and link-local ranges.</summary>
    public static IReadOnlyList<string> DefaultPermittedIpRanges { get; } =
    [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
        "::1/128", "fc00::/7", "fe80::/10",
    ];

    /// <summary>The key algorithm of the root and intermediate keys.</summary>
    public CaKeyAlgorithm KeyAlgorithm { get; set; } = CaKeyAlgorithm.EcdsaP256;

    /// <summary>The root certificate's subject common name.</summary>
    public string RootCommonName { get; set; } = "Local Development Root CA";

    /// <summary>The intermediate certificate's subject common name.</summary>
    public string IntermediateCommonName { get; set; } = "Local Development Intermediate CA";

    /// <summary>How long the root is valid.</summary>
    public TimeSpan RootValidity { get; set; } = TimeSpan.FromDays(3650);

    /// <summary>How long the intermediate is valid; never longer than the root.</summary>
    public TimeSpan IntermediateValidity { get; set; } = TimeSpan.FromDays(3650);

    /// <summary>
    /// Whether the root carries an X.509 name constraints extension, so that a leaked development root
    /// cannot sign a certificate that browsers accept for a public site. On by default.
    /// </summary>
    public bool NameConstraints { get; set; } = true;

    /// <summary>DNS subtrees the root permits when <see cref="NameConstraints"/> is on.</summary>
    public IList<string> PermittedDnsDomains { get; set; } = [.. DefaultPermittedDnsDomains];

    /// <summary>IP ranges in CIDR form (<c>10.0.0.0/8</c>, <c>fc00::/7</c>) the root permits when <see cref="NameConstraints"/> is on.</summary>
    public IList<string> PermittedIpRanges { get; set; } = [.. DefaultPermittedIpRanges];

    /// <summary>Checks the options and says what to write instead of a bad value.</summary>
    /// <exception cref="ArgumentException">An option has a value that cannot make a working CA (a bad domain or range included).</exception>
    internal void Validate()
    {
        ValidateCommonName(RootCommonName, nameof(RootCommonName));
        ValidateCommonName(IntermediateCommonName, nameof(IntermediateCommonName));
        if (RootValidity < TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"{nameof(RootValidity)} must be at least one day (it is {RootValidity}); the default is 3650 days.", nameof(RootValidity));
        }

        if (IntermediateValidity < TimeSpan.FromHours(1) || IntermediateValidity > RootValidity)
        {
            throw new ArgumentException(
                $"{nameof(IntermediateValidity)} must be between one hour and the root's validity ({RootValidity.TotalDays:0} days); it is {IntermediateValidity}.",
                nameof(IntermediateValidity));
        }

        if (!NameConstraints)
        {
            return;
        }

        if (PermittedDnsDomains.Count == 0 && PermittedIpRanges.Count == 0)
        {
            throw new ArgumentException("Name constraints are on but nothing is permitted: list at least one DNS domain (e.g. sslip.io) or IP range, or turn name constraints off.", nameof(PermittedDnsDomains));
        }

        try
        {
            _ = new NameConstraintSet(PermittedDnsDomains, PermittedIpRanges);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(PermittedDnsDomains), e);
        }
    }

    private static void ValidateCommonName(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 64)
        {
            throw new ArgumentException($"{name} must be 1 to 64 characters, e.g. \"Local Development Root CA\".", name);
        }
    }
}

/// <summary>An IP address range in CIDR form.</summary>
/// <param name="Network">The first address of the range.</param>
/// <param name="PrefixLength">The number of leading bits that are fixed.</param>
internal readonly record struct IpRange(IPAddress Network, int PrefixLength)
{
    /// <summary>Parses <c>address/prefix</c>, e.g. <c>192.168.0.0/16</c> or <c>fc00::/7</c>.</summary>
    /// <exception cref="FormatException">The text is not a CIDR range.</exception>
    public static IpRange Parse(string cidr)
    {
        ArgumentNullException.ThrowIfNull(cidr);
        if (!IPNetwork.TryParse(cidr.Trim(), out var network))
        {
            throw new FormatException($"'{cidr}' is not an IP range: write it in CIDR form with the host bits zero, e.g. 192.168.0.0/16 or fc00::/7.");
        }

        return new IpRange(network.BaseAddress, network.PrefixLength);
    }

    /// <summary>Whether <paramref name="address"/> lies in this range.</summary>
    public bool Contains(IPAddress address) => new IPNetwork(Network, PrefixLength).Contains(address);

    /// <summary>The address followed by the mask, as X.509 name constraints encode an IP subtree.</summary>
    internal byte[] ToAddressAndMask()
    {
        var address = Network.GetAddressBytes();
        var mask = new byte[address.Length];
        for (var bit = 0; bit < PrefixLength; bit++)
        {
            mask[bit / 8] |= (byte)(0x80 >> (bit % 8));
        }

        return [.. address, .. mask];
    }

    /// <inheritdoc />
    public override string ToString() => $"{Network}/{PrefixLength}";
}
