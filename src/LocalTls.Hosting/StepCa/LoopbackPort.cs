using System.Net;
using System.Net.Sockets;

namespace LocalTls.StepCa;

/// <summary>Finds free TCP ports on the loopback interface.</summary>
internal static class LoopbackPort
{
    /// <summary>
    /// A TCP port that was free on <paramref name="address"/> (default 127.0.0.1) a moment ago: the operating
    /// system picks it, the listener is closed, and the port is returned. Another process can take it before
    /// it is used, so a caller that then fails to bind should try again with a new port.
    /// </summary>
    public static int GetFree(IPAddress? address = null)
    {
        var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
