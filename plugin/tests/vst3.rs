//! The VST3 side of the built library: the factory describes the plugin with its stable class id
//! and categories, and a component instantiates with the documented buses.

mod host;

use std::ffi::{c_char, c_void, CStr};
use std::ptr::null_mut;

use vst3::ComPtr;
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::MediaTypes_::{kAudio, kEvent};
use vst3::Steinberg::Vst::{BusInfo, IComponent, IComponentTrait, IComponent_iid};
use vst3::Steinberg::{
    kResultOk, IPluginBaseTrait, IPluginFactory, IPluginFactory2, IPluginFactory2Trait,
    IPluginFactoryTrait, PClassInfo2, PFactoryInfo,
};

/// A NUL-terminated C string in a fixed array.
fn text(chars: &[c_char]) -> String {
    // SAFETY: `c_char` and `u8` have the same size and alignment.
    let bytes = unsafe { &*(chars as *const [c_char] as *const [u8]) };
    CStr::from_bytes_until_nul(bytes)
        .expect("NUL-terminated")
        .to_str()
        .expect("UTF-8")
        .to_owned()
}

#[test]
fn vst3_factory_and_component_describe_the_plugin() {
    // SAFETY: the library is the plugin this crate builds (see `host::plugin_library`).
    let library = unsafe { libloading::Library::new(host::plugin_library()) }.expect("loads");
    // SAFETY: the signatures are the VST3 module entry points of Linux (`ModuleEntry`,
    // `ModuleExit`) and every platform (`GetPluginFactory`); the calls follow the SDK's order.
    unsafe {
        let module_entry = library
            .get::<extern "C" fn(*mut c_void) -> bool>(b"ModuleEntry")
            .expect("ModuleEntry is exported");
        let module_exit = library
            .get::<extern "C" fn() -> bool>(b"ModuleExit")
            .expect("ModuleExit is exported");
        let get_factory = library
            .get::<extern "system" fn() -> *mut c_void>(b"GetPluginFactory")
            .expect("GetPluginFactory is exported");
        assert!(module_entry(null_mut()));
        let factory = ComPtr::from_raw(get_factory() as *mut IPluginFactory).expect("a factory");

        let mut info: PFactoryInfo = std::mem::zeroed();
        assert_eq!(factory.getFactoryInfo(&mut info), kResultOk);
        assert_eq!(text(&info.vendor), env!("CARGO_PKG_AUTHORS"));
        assert_eq!(text(&info.url), env!("CARGO_PKG_HOMEPAGE"));

        assert_eq!(factory.countClasses(), 1);
        let factory2 = factory.cast::<IPluginFactory2>().expect("IPluginFactory2");
        let mut class: PClassInfo2 = std::mem::zeroed();
        assert_eq!(factory2.getClassInfo2(0, &mut class), kResultOk);
        let cid: [u8; 16] = std::mem::transmute(class.cid);
        assert_eq!(&cid, b"RtcbListenRelay1", "the class id never changes");
        assert_eq!(text(&class.category), "Audio Module Class");
        assert_eq!(text(&class.name), "rtcb");
        assert_eq!(text(&class.subCategories), "Fx|Tools");
        assert_eq!(text(&class.vendor), env!("CARGO_PKG_AUTHORS"));
        assert_eq!(text(&class.version), env!("CARGO_PKG_VERSION"));

        let mut object = null_mut();
        let created =
            factory.createInstance(class.cid.as_ptr(), IComponent_iid.as_ptr(), &mut object);
        assert_eq!(created, kResultOk);
        let component = ComPtr::from_raw(object as *mut IComponent).expect("a component");
        assert_eq!(component.initialize(null_mut()), kResultOk);
        // Stereo in and out (the default layout), one event bus each way.
        let bus = |media, direction| {
            let mut info: BusInfo = std::mem::zeroed();
            assert_eq!(
                component.getBusInfo(media, direction, 0, &mut info),
                kResultOk
            );
            info.channelCount
        };
        assert_eq!(component.getBusCount(kAudio as i32, kInput as i32), 1);
        assert_eq!(component.getBusCount(kAudio as i32, kOutput as i32), 1);
        assert_eq!(bus(kAudio as i32, kInput as i32), 2);
        assert_eq!(bus(kAudio as i32, kOutput as i32), 2);
        assert_eq!(component.getBusCount(kEvent as i32, kInput as i32), 1);
        assert_eq!(component.getBusCount(kEvent as i32, kOutput as i32), 1);
        assert_eq!(component.terminate(), kResultOk);
        drop(component);
        drop(factory2);
        drop(factory);
        assert!(module_exit());
    }
}
