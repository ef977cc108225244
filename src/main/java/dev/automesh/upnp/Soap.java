package dev.automesh.upnp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * A minimal UPnP SOAP client and description reader for what weupnp does not cover: the
 * WANIPv6FirewallControl service (weupnp only knows WANIPConnection/WANPPPConnection).
 */
final class Soap {
    static final String IPV6_FIREWALL_PREFIX = "urn:schemas-upnp-org:service:WANIPv6FirewallControl:";

    /** A service found in a device description: its type and absolute control URL. */
    record Service(String type, String controlUrl) {}

    private Soap() {}

    /** Reads the device description at {@code location} and finds a service whose type starts with {@code typePrefix}. */
    static Optional<Service> findService(String location, String typePrefix, Duration timeout) throws UpnpException {
        Document doc;
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(location).toURL().openConnection();
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            try (InputStream in = c.getInputStream()) {
                doc = builder().parse(in);
            } finally {
                c.disconnect();
            }
        } catch (IOException | SAXException | IllegalArgumentException e) {
            throw UpnpException.io("reading the device description", location, e);
        }
        String base = location;
        NodeList ub = doc.getElementsByTagNameNS("*", "URLBase");
        if (ub.getLength() > 0 && !ub.item(0).getTextContent().isBlank()) base = ub.item(0).getTextContent().strip();
        NodeList services = doc.getElementsByTagNameNS("*", "service");
        for (int i = 0; i < services.getLength(); i++) {
            Element s = (Element) services.item(i);
            String type = child(s, "serviceType");
            String control = child(s, "controlURL");
            if (type != null && control != null && type.startsWith(typePrefix)) {
                return Optional.of(new Service(type, URI.create(base).resolve(control).toString()));
            }
        }
        return Optional.empty();
    }

    /** Calls {@code action}; returns the response arguments, or throws with the UPnP error code the router gave. */
    static Map<String, String> call(Service service, String action, Map<String, String> args, Duration timeout) throws UpnpException {
        StringBuilder body = new StringBuilder("<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\""
                + " s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:" + action + " xmlns:u=\"" + service.type() + "\">");
        args.forEach((k, v) -> body.append('<').append(k).append('>').append(escape(v)).append("</").append(k).append('>'));
        body.append("</u:").append(action).append("></s:Body></s:Envelope>");
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(service.controlUrl()).toURL().openConnection();
            try {
                c.setConnectTimeout((int) timeout.toMillis());
                c.setReadTimeout((int) timeout.toMillis());
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "text/xml; charset=\"utf-8\"");
                c.setRequestProperty("SOAPAction", "\"" + service.type() + "#" + action + "\"");
                c.setFixedLengthStreamingMode(bytes.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(bytes);
                }
                int status = c.getResponseCode();
                InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
                if (in == null) throw new IOException("HTTP " + status + " without body");
                Document doc;
                try (in) {
                    doc = builder().parse(in);
                }
                NodeList codes = doc.getElementsByTagNameNS("*", "errorCode");
                if (codes.getLength() > 0) {
                    NodeList desc = doc.getElementsByTagNameNS("*", "errorDescription");
                    int code;
                    try {
                        code = Integer.parseInt(codes.item(0).getTextContent().strip());
                    } catch (NumberFormatException e) {
                        throw new IOException("unparsable UPnP errorCode '" + codes.item(0).getTextContent() + "'");
                    }
                    throw UpnpException.refused(action, code, desc.getLength() > 0 ? desc.item(0).getTextContent() : null);
                }
                if (status >= 300) throw new IOException("HTTP " + status);
                Map<String, String> out = new LinkedHashMap<>();
                NodeList resp = doc.getElementsByTagNameNS("*", action + "Response");
                if (resp.getLength() > 0) {
                    for (Node n = resp.item(0).getFirstChild(); n != null; n = n.getNextSibling()) {
                        if (n instanceof Element e) out.put(e.getLocalName(), e.getTextContent().strip());
                    }
                }
                return out;
            } finally {
                c.disconnect();
            }
        } catch (IOException | SAXException | IllegalArgumentException e) {
            throw UpnpException.io(action, service.controlUrl(), e);
        }
    }

    private static String child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getLocalName())) return e.getTextContent().strip();
        }
        return null;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static DocumentBuilder builder() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            // Router XML is untrusted: no DTDs, no external entities.
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            return f.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("no usable XML parser: " + e.getMessage(), e);
        }
    }
}
