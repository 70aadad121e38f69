using System.Net;
using System.Net.Sockets;

namespace LocalTls.KubeApiDouble.CertManager;

/// <summary>
/// How a pod here reaches <c>{service}.{namespace}.svc[.cluster.local]:{port}</c>: through the same backend the
/// double's service proxy would use (the kubelet stand-in's loopback port). Other names resolve as usual.
/// </summary>
internal static class ClusterNetwork
{
    /// <summary>Lets <paramref name="handler"/> connect to Service names; TLS still checks the certificate against the name.</summary>
    public static SocketsHttpHandler WithServiceNames(SocketsHttpHandler handler, ServiceProxy proxy)
    {
        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var port = context.DnsEndPoint.Port;
            var target = ServiceBackend(host, port, proxy) is { } backend
                ? new DnsEndPoint(backend.Host, backend.Port)
                : context.DnsEndPoint;
            if (ServiceName(host) is not null && target == context.DnsEndPoint)
            {
                // What a pod sees when the Service has no ready endpoint: kube-proxy rejects the connection.
                throw new SocketException((int)SocketError.ConnectionRefused);
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(target, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        return handler;
    }

    private static Uri? ServiceBackend(string host, int port, ServiceProxy proxy) =>
        ServiceName(host) is var (service, ns) ? proxy.Backend(ns, service, port.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null;

    /// <summary><c>step-ca.step-ca.svc.cluster.local</c> → (step-ca, step-ca).</summary>
    private static (string Service, string Namespace)? ServiceName(string host)
    {
        var name = host.TrimEnd('.');
        foreach (var suffix in new[] { ".svc.cluster.local", ".svc" })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                var parts = name[..^suffix.Length].Split('.');
                return parts.Length == 2 ? (parts[0], parts[1]) : null;
            }
        }

        return null;
    }
}
