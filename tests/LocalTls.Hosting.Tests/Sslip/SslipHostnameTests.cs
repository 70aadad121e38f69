using System.Net;
using LocalTls.Sslip;

namespace LocalTls.Tests.Sslip;

public class SslipHostnameTests
{
    [Theory]
    // dotted IPv4, with and without prefix labels
    [InlineData("app.192.168.5.2.sslip.io", "app", "192.168.5.2", "sslip.io", SslipForm.Dotted)]
    [InlineData("192.168.5.2.sslip.io", "", "192.168.5.2", "sslip.io", SslipForm.Dotted)]
    [InlineData("a.b.10.0.0.1.nip.io", "a.b", "10.0.0.1", "nip.io", SslipForm.Dotted)]
    [InlineData("0.0.0.0.sslip.io", "", "0.0.0.0", "sslip.io", SslipForm.Dotted)]
    [InlineData("x.255.255.255.255.sslip.io", "x", "255.255.255.255", "sslip.io", SslipForm.Dotted)]
    [InlineData("app-192.168.5.2.nip.io", "app", "192.168.5.2", "nip.io", SslipForm.Dotted)]
    // dashed IPv4
    [InlineData("app-192-168-5-2.sslip.io", "app", "192.168.5.2", "sslip.io", SslipForm.Dashed)]
    [InlineData("192-168-5-2.sslip.io", "", "192.168.5.2", "sslip.io", SslipForm.Dashed)]
    [InlineData("app.192-168-5-2.sslip.io", "app", "192.168.5.2", "sslip.io", SslipForm.Dashed)]
    [InlineData("my-app-10-0-0-1.nip.io", "my-app", "10.0.0.1", "nip.io", SslipForm.Dashed)]
    // hex IPv4
    [InlineData("app.c0a80502.sslip.io", "app", "192.168.5.2", "sslip.io", SslipForm.Hex)]
    [InlineData("c0a80502.sslip.io", "", "192.168.5.2", "sslip.io", SslipForm.Hex)]
    [InlineData("app-7f000001.nip.io", "app", "127.0.0.1", "nip.io", SslipForm.Hex)]
    [InlineData("ffffffff.nip.io", "", "255.255.255.255", "nip.io", SslipForm.Hex)]
    // dashed IPv6
    [InlineData("app.2001-db8--1.sslip.io", "app", "2001:db8::1", "sslip.io", SslipForm.DashedIPv6)]
    [InlineData("--1.sslip.io", "", "::1", "sslip.io", SslipForm.DashedIPv6)]
    [InlineData("--.sslip.io", "", "::", "sslip.io", SslipForm.DashedIPv6)]
    [InlineData("fe80--1.nip.io", "", "fe80::1", "nip.io", SslipForm.DashedIPv6)]
    [InlineData("a.2001-db8-a-b-c-d-e-f.sslip.io", "a", "2001:db8:a:b:c:d:e:f", "sslip.io", SslipForm.DashedIPv6)]
    [InlineData("0001-0002-0003-0004-0000-0000-0000-0000.sslip.io", "", "1:2:3:4::", "sslip.io", SslipForm.DashedIPv6)]
    [InlineData("app-2001-db8--1.sslip.io", "app", "2001:db8::1", "sslip.io", SslipForm.DashedIPv6)]
    // sslip.io's precedence: a dashed IPv4 wins over a dotted one, a dotted one over hex
    [InlineData("1.2.3.4.10-0-0-1.sslip.io", "1.2.3.4", "10.0.0.1", "sslip.io", SslipForm.Dashed)]
    [InlineData("www.76543210.127-0-0-53.nip.io", "www.76543210", "127.0.0.53", "nip.io", SslipForm.Dashed)]
    [InlineData("deadbeef.1.2.3.4.sslip.io", "deadbeef", "1.2.3.4", "sslip.io", SslipForm.Dotted)]
    public void Parses_every_form(string name, string prefix, string address, string zone, object expectedForm)
    {
        var form = (SslipForm)expectedForm; // SslipForm is internal; a public test method takes it as object
        var parsed = SslipHostname.Parse(name);

        Assert.Equal(prefix, parsed.Prefix);
        Assert.Equal(IPAddress.Parse(address), parsed.Address);
        Assert.Equal(zone, parsed.Zone);
        Assert.Equal(form, parsed.Form);
        Assert.Equal(name, parsed.Hostname);
        Assert.False(parsed.IsWildcard);
    }

    [Fact]
    public void Is_case_insensitive_and_tolerates_a_trailing_dot()
    {
        var parsed = SslipHostname.Parse("APP.C0A80502.SsLiP.Io.");

        Assert.Equal("app.c0a80502.sslip.io", parsed.Hostname);
        Assert.Equal("app", parsed.Prefix);
        Assert.Equal(IPAddress.Parse("192.168.5.2"), parsed.Address);
        Assert.Equal(SslipHostname.Parse("app.c0a80502.sslip.io"), parsed);
        Assert.Equal("app.c0a80502.sslip.io", parsed.ToString());
    }

    [Theory]
    [InlineData("*.192-168-5-2.sslip.io", "", "192.168.5.2")]
    [InlineData("*.app.127.0.0.1.nip.io", "app", "127.0.0.1")]
    [InlineData("*.--1.sslip.io", "", "::1")]
    public void Accepts_a_leading_wildcard_only_when_asked(string name, string prefix, string address)
    {
        var parsed = SslipHostname.Parse(name, allowWildcard: true);
        Assert.True(parsed.IsWildcard);
        Assert.Equal(prefix, parsed.Prefix);
        Assert.Equal(IPAddress.Parse(address), parsed.Address);
        Assert.Equal(name, parsed.Hostname);

        var e = Assert.Throws<FormatException>(() => SslipHostname.Parse(name));
        Assert.Contains("is a wildcard name", e.Message);
        Assert.Contains("drop the leading '*.'", e.Message);
        Assert.Contains("allowWildcard: true", e.Message);
    }

    [Fact]
    public void Rejects_a_name_outside_the_zones_with_the_documented_message()
    {
        var e = Assert.Throws<FormatException>(() => SslipHostname.Parse("app.example.com"));
        Assert.Equal(
            "'app.example.com' is not an sslip.io name: it must end in .sslip.io or .nip.io and embed an IP address, e.g. app.127.0.0.1.sslip.io",
            e.Message);
    }

    [Theory]
    // wrong zone / no address
    [InlineData("app.sslip.io.evil.com", "is not an sslip.io name", "must end in .sslip.io or .nip.io", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("127.0.0.1.xip.io", "is not an sslip.io name", "must end in .sslip.io or .nip.io", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("sslip.io", "is just the zone", "does not embed an IP address", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("app.sslip.io", "does not embed an IP address", "app.192.168.5.2.sslip.io", "app-192-168-5-2.sslip.io")]
    [InlineData("app.10.0.1.nip.io", "does not embed an IP address", "app.c0a80502.nip.io", "app.2001-db8--1.nip.io")]
    // octets
    [InlineData("app.192.168.5.256.sslip.io", "'256' in '192.168.5.256' is not an IPv4 octet", "0-255", "e.g. app.192.168.5.2.sslip.io")]
    [InlineData("app.300-1-1-1.sslip.io", "'300' in '300-1-1-1' is not an IPv4 octet", "0-255", "e.g. app.192.168.5.2.sslip.io")]
    [InlineData("app.192.168.05.2.sslip.io", "'05' in '192.168.05.2' has a leading zero", "sslip.io does not accept", "e.g. app.192.168.5.2.sslip.io")]
    [InlineData("app-010-0-0-1.nip.io", "'010' in '010-0-0-1' has a leading zero", "would not resolve", "e.g. app-10-0-0-1.nip.io")]
    // hyphens
    [InlineData("-app.127.0.0.1.sslip.io", "the label '-app' starts with a hyphen", "write 'app' instead", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("app-.127.0.0.1.sslip.io", "the label 'app-' ends with a hyphen", "write 'app' instead", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("app--192-168-5-2.sslip.io", "the label 'app-' ends with a hyphen", "start and end with a letter or digit", "write 'app' instead")]
    [InlineData("-192-168-5-2.sslip.io", "the label '-192-168-5-2' starts with a hyphen", "write '192-168-5-2' instead", "e.g. 192-168-5-2.sslip.io")]
    // empty labels
    [InlineData("app..127.0.0.1.sslip.io", "has an empty label", "remove the extra dot", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData(".app.127.0.0.1.sslip.io", "has an empty label", "remove the extra dot", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("app.127.0.0.1.sslip.io..", "has an empty label", "remove the extra dot", "e.g. app.127.0.0.1.sslip.io")]
    // characters
    [InlineData("app_1.127.0.0.1.sslip.io", "contains '_' at position 4", "not allowed in a hostname", "use a hyphen instead, e.g. my-app.127.0.0.1.sslip.io")]
    [InlineData("app.2001:db8::1.sslip.io", "contains ':' at position 9", "written with '-' instead of ':'", "e.g. app.2001-db8--1.sslip.io")]
    [InlineData("app!.127.0.0.1.sslip.io", "contains '!' at position 4", "use only letters, digits, hyphens and dots", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("app .127.0.0.1.sslip.io", "contains a space at position 4", "not allowed", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("héllo.127.0.0.1.sslip.io", "contains 'é' at position 2", "xn--", "e.g. app.127.0.0.1.sslip.io")]
    [InlineData("https://app.127.0.0.1.sslip.io/", "contains ':' at position 6", "", "")]
    // wildcards in the wrong place
    [InlineData("a.*.127.0.0.1.sslip.io", "'*' that is not the whole leftmost label", "only appear as a leading '*.'", "e.g. *.app.127.0.0.1.sslip.io")]
    [InlineData("*app.127.0.0.1.sslip.io", "'*' that is not the whole leftmost label", "only appear as a leading '*.'", "e.g. *.app.127.0.0.1.sslip.io")]
    // the address sslip.io answers is not the last one
    [InlineData("192.168.5.2.app.sslip.io", "sslip.io resolves it to 192.168.5.2", "not right before .sslip.io", "e.g. app.192.168.5.2.sslip.io")]
    [InlineData("10-0-0-1.1.2.3.4.sslip.io", "resolves it to 10.0.0.1 (read from '10-0-0-1'; a dashed address wins over dotted ones)", "put the address last", "e.g. 1.2.3.4.10-0-0-1.sslip.io")]
    [InlineData("www.127.0.0.53.76543210.nip.io", "resolves it to 127.0.0.53", "a dotted address wins over hex ones", "e.g. www.76543210.127.0.0.53.nip.io")]
    [InlineData("1.2.3.4.5.6.7.8.sslip.io", "resolves it to 1.2.3.4", "the leftmost address wins", "e.g. app.1.2.3.4.sslip.io")]
    [InlineData("--1.--2.sslip.io", "resolves it to ::1", "not right before .sslip.io", "e.g. app.--1.sslip.io")]
    // IPv4 and IPv6 in one name
    [InlineData("a--b.1.2.3.4.sslip.io", "is ambiguous", "IPv4 address 1.2.3.4 from '1.2.3.4' and the IPv6 address a::b from 'a--b'", "e.g. app.1.2.3.4.sslip.io or app.a--b.sslip.io")]
    [InlineData("a.2001-db8-0-0-0-0-0-1.sslip.io", "is ambiguous", "IPv4 address 0.0.0.0 from '0-0-0-0'", "e.g. app.0.0.0.0.sslip.io or app.2001-db8--1.sslip.io")]
    [InlineData("1-2-3-4--.sslip.io", "is ambiguous", "answer A and AAAA queries with different addresses", "app.0001-0002-0003-0004-0000-0000-0000-0000.sslip.io")]
    // IPv6 oddities
    [InlineData("app.20010db8000000000000000000000001.sslip.io", "32-hex-digit IPv6 form, which LocalTls does not support", "'-' instead of ':'", "e.g. app.2001-db8--1.sslip.io")]
    [InlineData("app.2001-db8-1-2-12345.sslip.io", "looks like a dashed IPv6 address but is not one", "8 groups of 1-4 hex digits", "e.g. app.2001-db8--1.sslip.io")]
    public void Rejects_with_what_is_wrong_and_what_to_write(string name, string what, string detail, string instead)
    {
        var e = Assert.Throws<FormatException>(() => SslipHostname.Parse(name));
        Assert.Contains(what, e.Message);
        Assert.Contains(detail, e.Message);
        Assert.Contains(instead, e.Message);
        Assert.StartsWith("'", e.Message);

        Assert.False(SslipHostname.TryParse(name, out var result, out var error));
        Assert.Null(result);
        Assert.Equal(e.Message, error);
    }

    [Fact]
    public void Rejects_a_label_longer_than_63_characters()
    {
        var name = new string('a', 64) + ".127.0.0.1.sslip.io";
        var e = Assert.Throws<FormatException>(() => SslipHostname.Parse(name));
        Assert.Contains("a label of 64 characters", e.Message);
        Assert.Contains("at most 63", e.Message);
        Assert.Contains("e.g. app.127.0.0.1.sslip.io", e.Message);

        // 63 is fine
        Assert.Equal(new string('a', 63), SslipHostname.Parse(new string('a', 63) + ".127.0.0.1.sslip.io").Prefix);
    }

    [Fact]
    public void Rejects_a_name_longer_than_253_characters()
    {
        var label = new string('a', 60);
        var prefix = string.Join('.', label, label, label, label[..39]); // 60*3 + 39 + 3 dots = 222
        var ok = prefix + ".127.0.0.1.sslip.io"; // 222 + 19 = 241
        Assert.Equal(prefix, SslipHostname.Parse(ok).Prefix);

        var tooLong = "b".PadRight(13, 'b') + "." + ok; // 14 + 241 = 255
        var e = Assert.Throws<FormatException>(() => SslipHostname.Parse(tooLong));
        Assert.Contains("is 255 characters long", e.Message);
        Assert.Contains("at most 253", e.Message);
        Assert.Contains("(255 characters)", e.Message); // the quoted input is shortened
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Rejects_an_empty_name(string? name)
    {
        Assert.False(SslipHostname.TryParse(name, out _, out var error));
        Assert.Equal("The hostname is empty; write a name that embeds an IP address, e.g. app.127.0.0.1.sslip.io", error);
        Assert.Throws<FormatException>(() => SslipHostname.Parse(name!));
    }

    [Fact]
    public void Zones_are_configurable()
    {
        string[] zones = ["Local.Test."];
        var parsed = SslipHostname.Parse("app.127.0.0.1.local.test", allowWildcard: false, zones);
        Assert.Equal("local.test", parsed.Zone);
        Assert.Equal(IPAddress.Loopback, parsed.Address);

        var e = Assert.Throws<FormatException>(() => SslipHostname.Parse("app.127.0.0.1.sslip.io", allowWildcard: false, zones));
        Assert.Equal("'app.127.0.0.1.sslip.io' is not an sslip.io name: it must end in .local.test and embed an IP address, e.g. app.127.0.0.1.local.test", e.Message);

        // a nested zone is matched before its parent
        var nested = SslipHostname.Parse("app.127.0.0.1.dev.sslip.io", allowWildcard: false, ["sslip.io", "dev.sslip.io"]);
        Assert.Equal("dev.sslip.io", nested.Zone);
    }

    [Fact]
    public void An_invalid_zone_list_is_an_argument_error_for_Parse_and_an_error_for_TryParse()
    {
        var e = Assert.Throws<ArgumentException>(() => SslipHostname.Parse("app.127.0.0.1.sslip.io", allowWildcard: false, ["bad_zone"]));
        Assert.Contains("Invalid zone", e.Message);
        Assert.Contains("'_'", e.Message);

        Assert.Throws<ArgumentException>(() => SslipHostname.Parse("app.127.0.0.1.sslip.io", allowWildcard: false, []));

        Assert.False(SslipHostname.TryParse("app.127.0.0.1.sslip.io", allowWildcard: false, ["-bad.io"], out _, out var error));
        Assert.Contains("starts with a hyphen", error);
    }

    [Theory]
    [InlineData("app", "192.168.5.2", "sslip.io", SslipForm.Dotted, "app.192.168.5.2.sslip.io")]
    [InlineData("app", "192.168.5.2", "sslip.io", SslipForm.Dashed, "app-192-168-5-2.sslip.io")]
    [InlineData("app", "192.168.5.2", "nip.io", SslipForm.Hex, "app.c0a80502.nip.io")]
    [InlineData("", "10.0.0.1", "sslip.io", SslipForm.Dashed, "10-0-0-1.sslip.io")]
    [InlineData("", "10.0.0.1", "sslip.io", SslipForm.Hex, "0a000001.sslip.io")]
    [InlineData("API.App", "10.0.0.1", "NIP.IO.", SslipForm.Dotted, "api.app.10.0.0.1.nip.io")]
    [InlineData("app", "2001:db8::1", "sslip.io", SslipForm.Dotted, "app.2001-db8--1.sslip.io")]
    [InlineData("app", "2001:db8::1", "sslip.io", SslipForm.Hex, "app.2001-db8--1.sslip.io")]
    [InlineData("", "::1", "sslip.io", SslipForm.DashedIPv6, "--1.sslip.io")]
    [InlineData("x", "::ffff:127.0.0.1", "sslip.io", SslipForm.Dotted, "x.--ffff-7f00-1.sslip.io")]
    [InlineData("x", "2001:db8:0:1:0:0:0:1", "sslip.io", SslipForm.Dotted, "x.2001-db8-0-1--1.sslip.io")]
    // 2001:db8::1:0:0:1 compressed ends in 1-0-0-1, an IPv4 address to sslip.io: written out in full
    [InlineData("x", "2001:db8::1:0:0:1", "sslip.io", SslipForm.Dotted, "x.2001-0db8-0000-0000-0001-0000-0000-0001.sslip.io")]
    // 1:2:3:4:: compressed is 1-2-3-4--, which sslip.io also reads as 1.2.3.4: written out in full instead
    [InlineData("x", "1:2:3:4::", "sslip.io", SslipForm.Dotted, "x.0001-0002-0003-0004-0000-0000-0000-0000.sslip.io")]
    public void Create_builds_the_canonical_name(string prefix, string address, string zone, object requestedForm, string expected)
    {
        var form = (SslipForm)requestedForm; // SslipForm is internal; a public test method takes it as object
        var ip = IPAddress.Parse(address);
        var created = SslipHostname.Create(prefix, ip, zone, form);

        Assert.Equal(expected, created.Hostname);
        Assert.Equal(prefix.ToLowerInvariant(), created.Prefix);
        Assert.Equal(ip, created.Address);
        Assert.Equal(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? SslipForm.DashedIPv6 : form, created.Form);
        Assert.Equal(created, SslipHostname.Parse(created.Hostname));
    }

    [Fact]
    public void Create_defaults_to_dotted_sslip_io()
    {
        Assert.Equal("web.127.0.0.1.sslip.io", SslipHostname.Create("web", IPAddress.Loopback).Hostname);
    }

    [Theory]
    [InlineData("-app", "The prefix '-app': the label '-app' starts with a hyphen", "write 'app' instead")]
    [InlineData("app.", "The prefix 'app.' ends with a dot", "write 'app'")]
    [InlineData("a_b", "The prefix 'a_b' contains '_' at position 2", "use only letters, digits, hyphens and dots")]
    [InlineData("a..b", "The prefix 'a..b' has an empty label", "remove the extra dot")]
    [InlineData("*.app", "contains '*'", "call ToWildcard()")]
    [InlineData("1.2.3.4", "Cannot build an sslip.io name from prefix '1.2.3.4' and 5.6.7.8: the prefix contains '1.2.3.4', which sslip.io reads as the address 1.2.3.4", "choose a prefix whose labels do not look like (part of) an IP address, e.g. 'app'")]
    [InlineData("a.1.2", "in 'a.1.2.5.6.7.8.sslip.io' sslip.io would read '1.2.5.6' (1.2.5.6), because the end of the prefix runs into the address", "e.g. 'app'")]
    [InlineData("web-10-0-0-1", "contains '10-0-0-1', which sslip.io reads as the address 10.0.0.1", "e.g. 'app'")]
    [InlineData("cafe--1", "contains 'cafe--1', which sslip.io reads as the address cafe::1", "e.g. 'app'")]
    public void Create_rejects_bad_prefixes_with_what_to_write(string prefix, string what, string instead)
    {
        var e = Assert.Throws<ArgumentException>(() => SslipHostname.Create(prefix, IPAddress.Parse("5.6.7.8")));
        Assert.Contains(what, e.Message);
        Assert.Contains(instead, e.Message);
        Assert.Equal("prefix", e.ParamName);
    }

    [Fact]
    public void Create_rejects_bad_zones_forms_and_addresses()
    {
        var zone = Assert.Throws<ArgumentException>(() => SslipHostname.Create("app", IPAddress.Loopback, "bad_zone.io"));
        Assert.Equal("zone", zone.ParamName);
        Assert.Contains("'_'", zone.Message);

        var form = Assert.Throws<ArgumentException>(() => SslipHostname.Create("app", IPAddress.Loopback, form: SslipForm.DashedIPv6));
        Assert.Contains("127.0.0.1 is an IPv4 address, but the DashedIPv6 form is for IPv6 addresses; use Dotted, Dashed or Hex", form.Message);

        var scoped = Assert.Throws<ArgumentException>(() => SslipHostname.Create("app", IPAddress.Parse("fe80::1%2")));
        Assert.Contains("has a scope", scoped.Message);
        Assert.Contains("without '%2'", scoped.Message);

        var longPrefix = string.Join('.', Enumerable.Repeat(new string('a', 60), 4));
        var tooLong = Assert.Throws<ArgumentException>(() => SslipHostname.Create(longPrefix, IPAddress.Loopback));
        Assert.Contains("at most 253", tooLong.Message);

        Assert.Throws<ArgumentNullException>(() => SslipHostname.Create(null!, IPAddress.Loopback));
        Assert.Throws<ArgumentNullException>(() => SslipHostname.Create("app", null!));
    }

    [Fact]
    public void ToWildcard_prefixes_the_name()
    {
        var name = SslipHostname.Create("app", IPAddress.Parse("10.1.2.3"), "nip.io", SslipForm.Dashed);
        var wildcard = name.ToWildcard();

        Assert.Equal("*.app-10-1-2-3.nip.io", wildcard.Hostname);
        Assert.True(wildcard.IsWildcard);
        Assert.Equal(name.Prefix, wildcard.Prefix);
        Assert.Equal(name.Address, wildcard.Address);
        Assert.Same(wildcard, wildcard.ToWildcard());
        Assert.Equal(wildcard, SslipHostname.Parse("*.APP-10-1-2-3.nip.io.", allowWildcard: true));
        Assert.NotEqual(name, wildcard);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("app", true)]
    [InlineData("api.my-app", true)]
    [InlineData("a1.2b", true)]
    [InlineData("-a", false)]
    [InlineData("a-", false)]
    [InlineData("a.", false)]
    [InlineData(".a", false)]
    [InlineData("a b", false)]
    [InlineData(null, false)]
    public void IsValidPrefix_checks_dns_labels(string? prefix, bool valid)
    {
        Assert.Equal(valid, SslipHostname.IsValidPrefix(prefix, out var error));
        Assert.Equal(valid, error is null);
    }

    [Fact]
    public void IsValidPrefix_limits_label_length()
    {
        Assert.True(SslipHostname.IsValidPrefix(new string('x', 63), out _));
        Assert.False(SslipHostname.IsValidPrefix(new string('x', 64), out var error));
        Assert.Contains("at most 63", error);
    }
}
