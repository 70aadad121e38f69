using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;

namespace LocalTls.Sslip;

/// <summary>
/// A UDP transport for ARSoft's <see cref="DnsServer"/> that, unlike <see cref="UdpServerTransport"/>, exposes
/// the port it actually bound (so port 0 works), can be bound before the server starts, drops undecodable
/// datagrams instead of handing them on, and does not spin when the socket reports a transient error.
/// </summary>
internal sealed class LoopbackUdpServerTransport : IServerTransport
{
    // Queries are small; EDNS clients (dig) may announce larger buffers but still send short queries.
    private const int MaxQuerySize = 4096;
    private const int DnsHeaderSize = 12;

    private readonly IPEndPoint _requested;
    private readonly Socket _socket;
    private IPEndPoint? _bound;

    public LoopbackUdpServerTransport(IPEndPoint endPoint)
    {
        _requested = endPoint;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    }

    /// <summary>The bound endpoint (with the real port when port 0 was requested).</summary>
    public IPEndPoint LocalEndPoint => _bound ?? throw new InvalidOperationException("The UDP transport is not bound yet.");

    public ushort DefaultAllowedResponseSize => 512;

    public bool SupportsMultipleResponses => false;

    public bool AllowTruncatedResponses => true;

    public TransportProtocol TransportProtocol => TransportProtocol.Udp;

    /// <summary>Binds the socket; a second call (DnsServer.Start binds again) does nothing.</summary>
    public void Bind()
    {
        if (_bound is not null)
        {
            return;
        }

        _socket.Bind(_requested);
        _bound = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public void Close() => _socket.Close();

    public void Dispose() => _socket.Dispose();

    public async Task<IServerConnection?> AcceptConnectionAsync(CancellationToken token = default)
    {
        var any = new IPEndPoint(_requested.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!token.IsCancellationRequested)
        {
            // ARSoft packages carry a two-byte length header in front of the message.
            var buffer = new byte[MaxQuerySize + 2];
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(new ArraySegment<byte>(buffer, 2, MaxQuerySize), SocketFlags.None, any, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (Exception) when (!token.IsCancellationRequested)
            {
                // E.g. an ICMP "port unreachable" for an earlier reply surfacing as ConnectionReset; keep serving.
                // Nothing may escape: ARSoft runs this loop in an async void method.
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            catch (Exception)
            {
                return null;
            }

            if (received.ReceivedBytes < DnsHeaderSize)
            {
                continue;
            }

            buffer[0] = (byte)(received.ReceivedBytes >> 8);
            buffer[1] = (byte)received.ReceivedBytes;
            DnsReceivedRawPackage package;
            try
            {
                package = new DnsReceivedRawPackage(buffer[..(received.ReceivedBytes + 2)], (IPEndPoint)received.RemoteEndPoint, LocalEndPoint);
            }
            catch (Exception)
            {
                continue; // not a DNS message (ARSoft's header parser throws on garbage)
            }

            return new Connection(this, package);
        }

        return null;
    }

    private sealed class Connection(LoopbackUdpServerTransport transport, DnsReceivedRawPackage package) : IServerConnection
    {
        public IServerTransport Transport => transport;

        public IPEndPoint RemoteEndPoint => package.RemoteEndpoint;

        public IPEndPoint LocalEndPoint => package.LocalEndpoint;

        public bool CanRead { get; private set; } = true;

        public Task<bool> InitializeAsync(CancellationToken token = default) => Task.FromResult(true);

        public Task<DnsReceivedRawPackage?> ReceiveAsync(CancellationToken token = default)
        {
            CanRead = false;
            return Task.FromResult<DnsReceivedRawPackage?>(package);
        }

        public async Task<bool> SendAsync(DnsRawPackage response, CancellationToken token = default)
        {
            try
            {
                var sent = await transport._socket.SendToAsync(response.ToArraySegment(false), SocketFlags.None, package.RemoteEndpoint, token).ConfigureAwait(false);
                return sent == response.Length;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose()
        {
        }
    }
}
