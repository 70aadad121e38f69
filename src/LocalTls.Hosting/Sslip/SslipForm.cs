namespace LocalTls.Sslip;

/// <summary>How the IP address is written inside an sslip.io / nip.io hostname.</summary>
internal enum SslipForm
{
    /// <summary>IPv4 with dots: <c>app.192.168.5.2.sslip.io</c>.</summary>
    Dotted,

    /// <summary>IPv4 with dashes: <c>app-192-168-5-2.sslip.io</c> or <c>app.192-168-5-2.sslip.io</c>.</summary>
    Dashed,

    /// <summary>IPv4 as eight hex digits: <c>app.c0a80502.sslip.io</c>.</summary>
    Hex,

    /// <summary>IPv6 with <c>-</c> in place of <c>:</c>: <c>app.2001-db8--1.sslip.io</c>, <c>--1.sslip.io</c>.</summary>
    DashedIPv6,
}
