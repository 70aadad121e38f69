using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s;
using LocalTls.Cluster;

namespace LocalTls.Tests.Cluster;

/// <summary>The requests the generated client has no method for (raw lists, watches, /readyz, discovery).</summary>
public class KubernetesHttpTests
{
    [Fact]
    public async Task A_raw_request_keeps_the_servers_path_prefix_and_carries_the_kubeconfigs_token()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync(ct);
            using var stream = socket.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII);
            var lines = new List<string>();
            while (await reader.ReadLineAsync(ct) is { Length: > 0 } line)
            {
                lines.Add(line);
            }

            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), ct);
            return lines;
        }, ct);

        // A server behind a proxy that routes by path (Rancher: https://rancher.example/k8s/clusters/c-m-1).
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{port}/k8s/clusters/c-m-1", AccessToken = "t0ken" });
        Assert.Equal("ok", await KubernetesHttp.GetStringAsync(client, "/apis/cert-manager.io/v1/certificates", ct));

        var request = await received;
        Assert.Equal("GET /k8s/clusters/c-m-1/apis/cert-manager.io/v1/certificates HTTP/1.1", request[0]);
        Assert.Contains("Authorization: Bearer t0ken", request);
    }
}
