using System.Net;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The embedded DNS responder for sslip.io and nip.io, running on this machine, so that a host-mode step-ca
/// resolves sslip.io names offline (step-ca is started with <c>--resolver</c> pointing here).
/// </summary>
/// <param name="name">The resource name.</param>
public sealed class SslipDnsResource(string name) : Resource(name)
{
    /// <summary>The loopback endpoint to answer on; port 0 picks a free port when the app starts.</summary>
    public IPEndPoint EndPoint { get; internal set; } = new(IPAddress.Loopback, 0);
}
